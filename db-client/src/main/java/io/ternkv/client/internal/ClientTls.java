package io.ternkv.client.internal;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The client's TLS settings, loaded once: Java's TLS (JDK provider), TLS 1.2 and 1.3 only, the
 * node certificates checked against the given CA and the address connected to.
 *
 * @param context the Netty TLS context every channel uses
 * @param description what was configured, for messages
 */
public record ClientTls(SslContext context, String description) {
  /**
   * Reads the PEM files.
   *
   * @param ca CA certificates to trust
   * @param cert client certificate, or null for none
   * @param key its private key (unencrypted PKCS#8), or null
   * @throws IllegalArgumentException naming the file that cannot be read or used
   */
  public static ClientTls load(Path ca, Path cert, Path key) {
    check(ca, "tls CA");
    SslContextBuilder b =
        GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK).protocols("TLSv1.3", "TLSv1.2");
    try {
      b.trustManager(ca.toFile());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tls: " + ca + " holds no usable PEM CA certificate: " + e.getMessage(), e);
    }
    if (cert != null) {
      check(cert, "tls client certificate");
      check(key, "tls client key");
      try {
        b.keyManager(cert.toFile(), key.toFile());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "tlsClientCertificate: cannot use " + cert + " with " + key + " (PEM certificate and unencrypted PKCS#8 key): " + e.getMessage(), e);
      }
    }
    try {
      return new ClientTls(b.build(), "TLS with CA " + ca + (cert == null ? "" : " and client certificate " + cert));
    } catch (javax.net.ssl.SSLException | RuntimeException e) {
      throw new IllegalArgumentException("tls: cannot set up TLS from " + ca + (cert == null ? "" : ", " + cert + ", " + key) + ": " + e.getMessage(), e);
    }
  }

  private static void check(Path file, String what) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(what + ": cannot read " + file);
    }
  }
}
