package io.ternkv.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.AuthenticationException;
import io.ternkv.client.KeyRange;
import io.ternkv.client.PermissionDeniedException;
import io.ternkv.client.PermissionType;
import io.ternkv.client.TernClient;
import io.ternkv.server.LocalCluster;
import io.ternkv.server.tls.TlsFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With client certificates required, a client that sends no token is the user its certificate's
 * common name names (tern certs' client certificate: "client"), with that user's roles.
 */
class CertificateAuthIT {
  @TempDir Path dir;

  @Test
  void verifiedCertificateAuthenticatesAsTheUserItsCommonNameNames() throws Exception {
    Path certs = dir.resolve("certs");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(
        0,
        Tern.run(
            new String[] {"certs", "--out", certs.toString(), "--nodes", "n1"},
            new ByteArrayInputStream(new byte[0]),
            () -> false,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(out, true, StandardCharsets.UTF_8)),
        out.toString(StandardCharsets.UTF_8));
    // One node certificate (naming 127.0.0.1) serves every node's client port.
    TlsFiles files = new TlsFiles(certs.resolve("n1.pem"), certs.resolve("n1-key.pem"), certs.resolve("ca.pem"));
    try (LocalCluster cluster =
        LocalCluster.builder().nodes(3).configure(b -> b.clientTls(files, true)).start()) {
      cluster.awaitLeader(Duration.ofSeconds(20));
      TernClient.Builder base =
          TernClient.builder()
              .endpoints(cluster.endpoints())
              .requestTimeout(Duration.ofSeconds(20))
              .tls(certs.resolve("ca.pem"))
              .tlsClientCertificate(certs.resolve("client.pem"), certs.resolve("client-key.pem"));
      try (TernClient byCertificate = base.build();
          TernClient root = base.credentials("root", "cert-test-root-pw").build()) {
        byCertificate.auth().addUser("root", "cert-test-root-pw");
        byCertificate.auth().grantRole("root", "root");
        byCertificate.auth().addUser("client", "cert-test-unused-pw");
        byCertificate.auth().addRole("c-writer");
        byCertificate.auth().grantPermission("c-writer", PermissionType.READWRITE, KeyRange.prefix("c/"));
        byCertificate.auth().grantRole("client", "c-writer");
        byCertificate.auth().enable();

        assertEquals(Optional.of("client"), byCertificate.auth().status().user());
        byCertificate.put("c/1", "one");
        assertEquals("one", byCertificate.get("c/1").orElseThrow().valueUtf8());
        PermissionDeniedException denied =
            assertThrows(PermissionDeniedException.class, () -> byCertificate.put("d/1", "x"));
        assertTrue(denied.getMessage().contains("user client may not write"), denied.getMessage());
        assertThrows(PermissionDeniedException.class, () -> byCertificate.auth().users());

        // A token wins over the certificate: the same certificate, logged in as root.
        assertEquals(Optional.of("root"), root.auth().status().user());
        root.put("d/1", "x");
        root.auth().deleteUser("client");
        AuthenticationException gone = assertThrows(AuthenticationException.class, () -> byCertificate.get("c/1"));
        assertTrue(gone.getMessage().contains("names client, which is not a user"), gone.getMessage());
      }
    }
  }
}
