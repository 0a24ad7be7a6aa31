package io.ternkv.server.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads PEM certificates and PKCS#8 private keys with the JDK alone. */
public final class Pem {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  private Pem() {}

  /**
   * The certificates in a PEM file, in file order.
   *
   * @throws IOException naming the file when it cannot be read or holds no certificate
   */
  public static List<X509Certificate> certificates(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    try {
      List<X509Certificate> certs = new ArrayList<>();
      for (Certificate c :
          CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))) {
        certs.add((X509Certificate) c);
      }
      if (certs.isEmpty()) {
        throw new IOException(file + ": no certificate (expected PEM, BEGIN CERTIFICATE)");
      }
      return List.copyOf(certs);
    } catch (CertificateException e) {
      throw new IOException(file + ": not a PEM certificate file: " + e.getMessage(), e);
    }
  }

  /**
   * The private key in a PEM file: unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}), RSA, EC or
   * Ed25519.
   *
   * @throws IOException naming the file and, for other PEM kinds, how to convert them
   */
  public static PrivateKey privateKey(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String kind = m.group(1);
      if (kind.equals("PRIVATE KEY")) {
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        for (String algorithm : List.of("EC", "RSA", "Ed25519", "Ed448")) {
          try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
          } catch (GeneralSecurityException e) {
            // try the next algorithm
          }
        }
        throw new IOException(file + ": unsupported private key algorithm (RSA, EC and Ed25519 work)");
      }
      if (kind.endsWith("PRIVATE KEY")) {
        throw new IOException(
            file
                + ": "
                + kind
                + " is not supported; convert it to unencrypted PKCS#8 with"
                + " 'openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8'");
      }
    }
    throw new IOException(file + ": no private key (expected PEM, BEGIN PRIVATE KEY)");
  }
}
