package io.ternkv.shell.certs;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * Makes a development PKI for a TernKV cluster in one directory, as PEM files (ECDSA P-256,
 * SHA-256, keys unencrypted PKCS#8 and readable by the owner only):
 *
 * <pre>
 *   ca.pem, ca-key.pem              client-port CA: signs the nodes' client-port and the clients' certificates
 *   peer-ca.pem, peer-ca-key.pem    Raft CA: signs only the nodes' peer certificates
 *   ID.pem, ID-key.pem              node ID's client-port certificate (server and client auth)
 *   ID-peer.pem, ID-peer-key.pem    node ID's Raft certificate (server and client auth)
 *   client.pem, client-key.pem      a client certificate (client auth)
 * </pre>
 *
 * Two CAs, so that a client certificate can never pass as a Raft peer. CAs already in the
 * directory are reused (to add a node or renew a certificate later); leaf files are replaced
 * (written to a temporary file and renamed, so a node reloading them never reads half a file).
 *
 * <p>Threading: not thread-safe; one instance per run.
 */
public final class DevCertificates {
  /** Client-port CA file names. */
  public static final String CA = "ca.pem";
  /** Raft CA certificate file name. */
  public static final String PEER_CA = "peer-ca.pem";
  /** Names every certificate gets unless {@code --hosts} adds more. */
  public static final List<String> DEFAULT_HOSTS = List.of("localhost", "127.0.0.1");

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern DNS = Pattern.compile("[A-Za-z0-9*]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*");
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final Path dir;
  private final Duration validity;
  private final SecureRandom random = new SecureRandom();
  private final List<Path> written = new ArrayList<>();

  /** A CA's certificate and key. */
  private record Authority(X509Certificate cert, PrivateKey key) {}

  /**
   * @param dir where the files go (created if missing)
   * @param validity how long leaf certificates are valid; CAs get ten times as long
   */
  public DevCertificates(Path dir, Duration validity) {
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("--days must be at least 1");
    }
    this.dir = dir;
    this.validity = validity;
  }

  /**
   * Writes (or reuses) both CAs, then a client-port and a peer certificate for each node and one
   * client certificate named {@code client}.
   *
   * @param nodes node ids (the certificates' common names)
   * @param hosts names and addresses every node certificate is valid for, besides its id
   * @return the files written, in order
   * @throws IllegalArgumentException for a bad node id or host name
   * @throws IOException when a file cannot be read or written
   */
  public List<Path> create(List<String> nodes, List<String> hosts) throws IOException {
    if (nodes.isEmpty()) {
      throw new IllegalArgumentException("--nodes needs at least one node id");
    }
    for (String n : nodes) {
      if (!NAME.matcher(n).matches()) {
        throw new IllegalArgumentException("node id '" + n + "': 1-64 letters, digits, '-' or '_'");
      }
      if (n.equals("client") || n.equals("ca") || n.equals("peer-ca") || n.endsWith("-peer")) {
        throw new IllegalArgumentException("node id '" + n + "' would clash with another file's name");
      }
    }
    Set<String> names = new LinkedHashSet<>(DEFAULT_HOSTS);
    for (String h : hosts) {
      if (!IPV4.matcher(h).matches() && !h.contains(":") && !DNS.matcher(h).matches()) {
        throw new IllegalArgumentException("--hosts: '" + h + "' is not a host name or IP address");
      }
      names.add(h);
    }
    Files.createDirectories(dir);
    try {
      Authority clientCa = authority("ca", "TernKV client CA");
      Authority peerCa = authority("peer-ca", "TernKV peer CA");
      for (String node : nodes) {
        Set<String> sans = new LinkedHashSet<>(names);
        sans.add(node);
        leaf(node, clientCa, node, sans, true);
        leaf(node + "-peer", peerCa, node, sans, true);
      }
      leaf("client", clientCa, "client", Set.of(), false);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IOException("cannot make certificates: " + e.getMessage(), e);
    }
    return List.copyOf(written);
  }

  private Authority authority(String base, String commonName)
      throws IOException, GeneralSecurityException, OperatorCreationException {
    Path certFile = dir.resolve(base + ".pem");
    Path keyFile = dir.resolve(base + "-key.pem");
    if (Files.exists(certFile) || Files.exists(keyFile)) {
      if (!Files.exists(certFile) || !Files.exists(keyFile)) {
        throw new IOException(
            "found only one of " + certFile + " and " + keyFile + "; remove it or restore the other");
      }
      return new Authority(readCertificate(certFile), readKey(keyFile));
    }
    KeyPair pair = newKeyPair();
    X500Name name = name(commonName);
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name, serial(), Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(validity.multipliedBy(10))), name, pair.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
    X509Certificate cert = sign(b, pair.getPrivate());
    write(certFile, pem(cert), false);
    write(keyFile, pem(pair.getPrivate()), true);
    return new Authority(cert, pair.getPrivate());
  }

  private void leaf(String base, Authority ca, String commonName, Set<String> sans, boolean server)
      throws IOException, GeneralSecurityException, OperatorCreationException {
    KeyPair pair = newKeyPair();
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            ca.cert(), serial(), Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(validity)), name(commonName), pair.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(
        Extension.extendedKeyUsage,
        false,
        server
            ? new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
            : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    if (!sans.isEmpty()) {
      List<GeneralName> list = new ArrayList<>();
      for (String s : sans) {
        boolean ip = IPV4.matcher(s).matches() || s.contains(":");
        if (ip) {
          InetAddress.getByName(s); // a literal; checks it parses without a lookup
        }
        list.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, s));
      }
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(list.toArray(GeneralName[]::new)));
    }
    b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
    b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.cert()));
    X509Certificate cert = sign(b, ca.key());
    write(dir.resolve(base + ".pem"), pem(cert), false);
    write(dir.resolve(base + "-key.pem"), pem(pair.getPrivate()), true);
  }

  private KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), random);
    return g.generateKeyPair();
  }

  private BigInteger serial() {
    return new BigInteger(127, random).add(BigInteger.ONE);
  }

  private static X500Name name(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "TernKV development")
        .addRDN(BCStyle.CN, commonName)
        .build();
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey key)
      throws OperatorCreationException, GeneralSecurityException {
    X509CertificateHolder holder = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key));
    return new JcaX509CertificateConverter().getCertificate(holder);
  }

  private static String pem(Object o) throws IOException {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      if (o instanceof PrivateKey k) {
        w.writeObject(new JcaPKCS8Generator(k, null));
      } else {
        w.writeObject(o);
      }
    }
    return s.toString();
  }

  private static X509Certificate readCertificate(Path file) throws IOException, GeneralSecurityException {
    try (var in = Files.newInputStream(file)) {
      return (X509Certificate)
          java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static PrivateKey readKey(Path file) throws IOException, GeneralSecurityException {
    try (PemReader r = new PemReader(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
      PemObject o = r.readPemObject();
      if (o == null || !o.getType().equals("PRIVATE KEY")) {
        throw new IOException(file + ": expected a PKCS#8 private key (BEGIN PRIVATE KEY)");
      }
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(o.getContent()));
    }
  }

  private void write(Path file, String text, boolean secret) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      if (secret && tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(tmp);
      }
    } catch (FileAlreadyExistsException e) {
      throw new IOException("cannot create " + tmp + ": it exists", e);
    }
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    written.add(file);
  }
}
