package io.ternkv.shell.certs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.server.tls.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tern certs} output, read back with the JDK: chains, names, key usage, validity, files. */
class DevCertificatesTest {
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  @TempDir Path dir;

  private X509Certificate cert(String name) throws Exception {
    List<X509Certificate> certs = Pem.certificates(dir.resolve(name + ".pem"));
    assertEquals(1, certs.size(), name);
    return certs.get(0);
  }

  private static void validates(X509Certificate leaf, X509Certificate ca) throws Exception {
    PKIXParameters p = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    p.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), p);
  }

  private static Set<String> sans(X509Certificate c) throws Exception {
    Set<String> names = new HashSet<>();
    if (c.getSubjectAlternativeNames() != null) {
      for (List<?> n : c.getSubjectAlternativeNames()) {
        names.add(n.get(1).toString());
      }
    }
    return names;
  }

  private void keyBelongsTo(String name) throws Exception {
    PrivateKey key = Pem.privateKey(dir.resolve(name + "-key.pem"));
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(key);
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("SHA256withECDSA");
    v.initVerify(cert(name).getPublicKey());
    v.update(new byte[] {1, 2, 3});
    assertTrue(v.verify(sig), name + "-key.pem signs for " + name + ".pem");
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(name + "-key.pem"))),
        name + "-key.pem is readable by its owner only");
  }

  @Test
  void nodeAndClientCertificatesChainToTheirOwnCaWithNamesUsagesAndValidity() throws Exception {
    new DevCertificates(dir, Duration.ofDays(30)).create(List.of("n1", "n2"), List.of("db.example", "10.0.0.7"));

    X509Certificate ca = cert("ca");
    X509Certificate peerCa = cert("peer-ca");
    for (X509Certificate c : List.of(ca, peerCa)) {
      assertEquals(0, c.getBasicConstraints(), "a CA that signs leaves only");
      assertTrue(c.getKeyUsage()[5], "keyCertSign");
      c.verify(c.getPublicKey());
    }
    assertNotEquals(ca.getSubjectX500Principal(), peerCa.getSubjectX500Principal());

    Instant now = Instant.now();
    for (String node : List.of("n1", "n2")) {
      X509Certificate client = cert(node);
      X509Certificate peer = cert(node + "-peer");
      validates(client, ca);
      validates(peer, peerCa);
      assertThrows(CertPathValidatorException.class, () -> validates(peer, ca), "peer certificates only from the peer CA");
      assertThrows(CertPathValidatorException.class, () -> validates(client, peerCa));
      for (X509Certificate c : List.of(client, peer)) {
        assertEquals(Set.of("localhost", "127.0.0.1", node, "db.example", "10.0.0.7"), sans(c));
        assertTrue(c.getSubjectX500Principal().getName().contains("CN=" + node));
        assertEquals(-1, c.getBasicConstraints(), "not a CA");
        boolean[] usage = c.getKeyUsage();
        assertTrue(usage[0], "digitalSignature");
        assertFalse(usage[5], "no keyCertSign");
        assertEquals(List.of(SERVER_AUTH, CLIENT_AUTH), c.getExtendedKeyUsage());
        c.checkValidity(Date.from(now));
        c.checkValidity(Date.from(now.plus(Duration.ofDays(29))));
        assertTrue(c.getNotAfter().toInstant().isBefore(now.plus(Duration.ofDays(31))));
        assertTrue(c.getNotAfter().toInstant().isBefore(ca.getNotAfter().toInstant()));
      }
      keyBelongsTo(node);
      keyBelongsTo(node + "-peer");
    }

    X509Certificate client = cert("client");
    validates(client, ca);
    assertThrows(CertPathValidatorException.class, () -> validates(client, peerCa), "a client is never a peer");
    assertEquals(List.of(CLIENT_AUTH), client.getExtendedKeyUsage());
    assertEquals(Set.of(), sans(client));
    keyBelongsTo("client");
    keyBelongsTo("ca");
    keyBelongsTo("peer-ca");
  }

  @Test
  void runningAgainKeepsTheCasAndRenewsTheLeaves() throws Exception {
    new DevCertificates(dir, Duration.ofDays(30)).create(List.of("n1"), List.of());
    byte[] ca = Files.readAllBytes(dir.resolve("ca.pem"));
    byte[] peerCa = Files.readAllBytes(dir.resolve("peer-ca.pem"));
    X509Certificate before = cert("n1");

    new DevCertificates(dir, Duration.ofDays(30)).create(List.of("n1", "n4"), List.of());

    assertArrayEquals(ca, Files.readAllBytes(dir.resolve("ca.pem")));
    assertArrayEquals(peerCa, Files.readAllBytes(dir.resolve("peer-ca.pem")));
    assertNotEquals(before.getSerialNumber(), cert("n1").getSerialNumber());
    validates(cert("n1"), cert("ca"));
    validates(cert("n4-peer"), cert("peer-ca"));
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(f -> f.toString().endsWith(".tmp")), "no temporary files left");
    }
  }

  @Test
  void refusesBadNodeIdsAndHosts() {
    DevCertificates certs = new DevCertificates(dir, Duration.ofDays(1));
    assertThrows(IllegalArgumentException.class, () -> certs.create(List.of(), List.of()));
    assertThrows(IllegalArgumentException.class, () -> certs.create(List.of("n 1"), List.of()));
    assertThrows(IllegalArgumentException.class, () -> certs.create(List.of("client"), List.of()));
    assertThrows(IllegalArgumentException.class, () -> certs.create(List.of("n1"), List.of("bad host!")));
  }
}
