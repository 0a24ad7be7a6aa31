package io.ternkv.shell.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ternkv.client.KeyValue;
import io.ternkv.client.Member;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.TransportSecurityException;
import io.ternkv.client.WriteConsistency;
import io.ternkv.server.HostPort;
import io.ternkv.server.LocalCluster;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.tls.Pem;
import io.ternkv.shell.Tern;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real {@code tern server} processes with TLS on the client port and mutual TLS on the Raft
 * port, certificates from {@code tern certs}; n3 also requires client certificates. One cluster
 * for every scenario: none of them may break it, which is part of what they check.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsClusterIT {
  private static final Duration BOUND = Duration.ofSeconds(60);

  private Path dir;
  private Path certs;
  private ProcessCluster cluster;
  private final List<AutoCloseable> extra = new ArrayList<>();

  @BeforeAll
  void start(@TempDir Path tmp) throws Exception {
    dir = tmp;
    certs = dir.resolve("certs");
    tern("certs", "--out", certs.toString(), "--nodes", "n1,n2,n3");
    cluster =
        new ProcessCluster(dir.resolve("cluster"), 3)
            .withArgs(
                i -> {
                  String id = "n" + (i + 1);
                  List<String> args =
                      new ArrayList<>(
                          List.of(
                              "--tls-cert", file(id + ".pem"), "--tls-key", file(id + "-key.pem"),
                              "--tls-ca", file("ca.pem"),
                              "--peer-tls-cert", file(id + "-peer.pem"), "--peer-tls-key", file(id + "-peer-key.pem"),
                              "--peer-tls-ca", file("peer-ca.pem")));
                  if (id.equals("n3")) {
                    args.add("--client-cert-auth");
                  }
                  return args;
                });
    cluster.startAll();
    try (TernClient client = tlsClient(true)) {
      await("a leader elected over mutual TLS", () -> client.status(cluster.endpoint(0)).leaderId().isPresent());
    }
  }

  @AfterAll
  void stop() throws Exception {
    for (AutoCloseable c : extra) {
      c.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private String file(String name) {
    return certs.resolve(name).toString();
  }

  private static String tern(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Tern.run(args, new PrintStream(out, true), new PrintStream(err, true));
    assertEquals(0, status, () -> "tern " + String.join(" ", args) + ": " + err);
    return out.toString(StandardCharsets.UTF_8);
  }

  private TernClient tlsClient(boolean withCertificate) {
    TernClient.Builder b =
        TernClient.builder()
            .endpoints(cluster.endpoints())
            .requestTimeout(Duration.ofSeconds(20))
            .tls(certs.resolve("ca.pem"));
    if (withCertificate) {
      b.tlsClientCertificate(certs.resolve("client.pem"), certs.resolve("client-key.pem"));
    }
    return b.build();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (TernException e) {
        // not yet
      }
      Thread.sleep(200);
    }
    fail("gave up waiting for " + what);
  }

  @Test
  void clientTrustingTheClusterCaWritesAndReadsEvenWithAllVotersConfirming() {
    try (TernClient client = tlsClient(true)) {
      client.put("tls/a", "1");
      // ALL: the leader asks every voter over its TLS client port, n3's requiring certificates.
      client.put("tls/b".getBytes(StandardCharsets.UTF_8), "2".getBytes(StandardCharsets.UTF_8), WriteConsistency.ALL);
      assertEquals("1", client.get("tls/a").map(KeyValue::valueUtf8).orElseThrow());
      assertEquals("2", client.get("tls/b").map(KeyValue::valueUtf8).orElseThrow());
    }
  }

  @Test
  void plaintextClientFailsAtOnceSayingTheNodeRequiresTls() throws Exception {
    try (TernClient client =
        TernClient.builder().endpoints(cluster.endpoint(0)).requestTimeout(Duration.ofSeconds(60)).build()) {
      TernException e = assertThrows(TernException.class, () -> client.put("tls/plain", "x"));
      assertInstanceOf(TransportSecurityException.class, e, e::toString);
      assertTrue(e.getMessage().startsWith(cluster.endpoint(0) + " requires TLS but this client connects in plaintext"), e.getMessage());

      // A watch meets the same mismatch on its stream: it ends with that error, it does not retry.
      java.util.concurrent.CompletableFuture<TernException> ended = new java.util.concurrent.CompletableFuture<>();
      try (io.ternkv.client.Watch w =
          client.watch(
              io.ternkv.client.WatchOptions.key("tls/plain".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
              new io.ternkv.client.WatchListener() {
                @Override
                public void onEvents(java.util.List<io.ternkv.client.WatchEvent> events) {}

                @Override
                public void onCancelled(TernException reason) {
                  ended.complete(reason);
                }
              })) {
        TernException why = ended.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertInstanceOf(TransportSecurityException.class, why, why::toString);
        assertTrue(w.reconnects() <= 1, "gave up instead of retrying: " + w.reconnects());
      }
    }
  }

  @Test
  void tlsClientAgainstAPlaintextNodeFailsAtOnceSayingSo() throws Exception {
    ProcessCluster plain = new ProcessCluster(dir.resolve("plain"), 1);
    extra.add(plain);
    plain.startAll();
    try (TernClient client =
        TernClient.builder()
            .endpoints(plain.endpoint(0))
            .requestTimeout(Duration.ofSeconds(60))
            .tls(certs.resolve("ca.pem"))
            .build()) {
      await("the plaintext node listening", () -> isListening(plain.endpoint(0)));
      TernException e = assertThrows(TernException.class, () -> client.put("tls/x", "x"));
      assertInstanceOf(TransportSecurityException.class, e, e::toString);
      assertTrue(e.getMessage().startsWith(plain.endpoint(0) + " answered in plaintext, not TLS"), e.getMessage());
    } finally {
      plain.close();
    }
  }

  @Test
  void nodeRequiringClientCertificatesRefusesAClientWithoutOne() {
    String n3 = cluster.endpoint(2);
    try (TernClient without = tlsClient(false)) {
      TernException e = assertThrows(TernException.class, () -> without.status(n3));
      assertInstanceOf(TransportSecurityException.class, e, e::toString);
      assertTrue(e.getMessage().startsWith(n3 + " refused the TLS handshake"), e.getMessage());
      assertTrue(without.status(cluster.endpoint(0)).term() > 0, "n1 does not require a certificate");
    }
    try (TernClient with = tlsClient(true)) {
      assertTrue(with.status(n3).term() > 0);
    }
  }

  @Test
  void peerWithACertificateFromAnotherCaIsRefusedAndTheClusterKeepsWorking() throws Exception {
    Path rogueCerts = dir.resolve("rogue-certs");
    tern("certs", "--out", rogueCerts.toString(), "--nodes", "n4");
    HostPort raft1 = cluster.members().get(0).raftAddress();

    // Straight at the Raft port: our own peer certificate is accepted (the node then waits for
    // us), one from another CA or from the client CA is refused during the handshake.
    assertTrue(raftPortAccepts(raft1, certs.resolve("n2-peer.pem"), certs.resolve("n2-peer-key.pem")));
    assertTrue(!raftPortAccepts(raft1, rogueCerts.resolve("n4.pem"), rogueCerts.resolve("n4-key.pem")));
    assertTrue(!raftPortAccepts(raft1, certs.resolve("client.pem"), certs.resolve("client-key.pem")));

    long termBefore;
    try (TernClient client = tlsClient(true)) {
      termBefore = client.status(cluster.endpoint(0)).term();
    }

    // A whole rogue node that believes it is a member and campaigns for leadership. It trusts
    // the cluster's peer CA (a CA certificate is public), so it gets as far as presenting its own
    // certificate, which the members refuse.
    int[] ports = LocalCluster.freePorts(2);
    MemberSpec rogue = new MemberSpec("n4", new HostPort("127.0.0.1", ports[0]), new HostPort("127.0.0.1", ports[1]));
    List<String> members = new ArrayList<>(cluster.members().stream().map(MemberSpec::toString).toList());
    members.add(rogue.toString());
    Path log = dir.resolve("rogue.log");
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
            "-cp", System.getProperty("java.class.path"), "io.ternkv.shell.Tern", "server",
            "--id", "n4", "--data-dir", dir.resolve("rogue").toString(), "--members", String.join(",", members),
            "--peer-tls-cert", rogueCerts.resolve("n4-peer.pem").toString(),
            "--peer-tls-key", rogueCerts.resolve("n4-peer-key.pem").toString(),
            "--peer-tls-ca", certs.resolve("peer-ca.pem").toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    extra.add(p::destroyForcibly);
    try {
      await(
          "the members refusing the rogue node's certificate",
          () -> {
            for (int i = 0; i < 3; i++) {
              if (read(cluster.log(i)).contains("refused a Raft peer certificate from CN=n4,O=TernKV development issued by CN=TernKV peer CA")) {
                return true;
              }
            }
            return false;
          });
      try (TernClient rogueClient =
          TernClient.builder().endpoints(rogue.clientAddress().toString()).requestTimeout(Duration.ofSeconds(5)).build()) {
        String at = rogue.clientAddress().toString();
        await("the rogue node answering its own clients", () -> rogueClient.status(at).term() >= 0);
        assertTrue(rogueClient.status(at).leaderId().isEmpty(), "the rogue found no leader to follow");
      }
      try (TernClient client = tlsClient(true)) {
        client.put("tls/after-rogue", "still here");
        assertEquals("still here", client.get("tls/after-rogue").map(KeyValue::valueUtf8).orElseThrow());
        assertEquals(List.of("n1", "n2", "n3"), client.members().stream().map(Member::id).sorted().toList());
        for (int i = 0; i < 3; i++) {
          assertEquals(termBefore, client.status(cluster.endpoint(i)).term(), "no election was forced on n" + (i + 1));
        }
      }
    } finally {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void certificatesReplacedOnDiskAreUsedAfterSighupWithoutARestart() throws Exception {
    HostPort client1 = cluster.members().get(0).clientAddress();
    HostPort raft1 = cluster.members().get(0).raftAddress();
    BigInteger clientBefore = presented(client1, null, null);
    BigInteger raftBefore = presented(raft1, certs.resolve("n2-peer.pem"), certs.resolve("n2-peer-key.pem"));
    assertEquals(serial("n1.pem"), clientBefore);
    assertEquals(serial("n1-peer.pem"), raftBefore);

    tern("certs", "--out", certs.toString(), "--nodes", "n1"); // same CAs, new n1 certificates
    BigInteger clientAfter = serial("n1.pem");
    BigInteger raftAfter = serial("n1-peer.pem");
    Process hup = new ProcessBuilder("kill", "-HUP", Long.toString(cluster.pid(0))).start();
    assertEquals(0, hup.waitFor());

    await("n1 presenting its new client-port certificate", () -> clientAfter.equals(presentedQuietly(client1, null, null)));
    await(
        "n1 presenting its new Raft certificate",
        () -> raftAfter.equals(presentedQuietly(raft1, certs.resolve("n2-peer.pem"), certs.resolve("n2-peer-key.pem"))));
    // Reloaded by the SIGHUP or by the periodic check, whichever saw the new files first.
    assertTrue(read(cluster.log(0)).contains("reloaded the client certificate"), "n1 says what it reloaded");
    assertTrue(read(cluster.log(0)).contains("reloaded the peer certificate"), "n1 says what it reloaded");
    try (TernClient client = tlsClient(true)) {
      client.put("tls/rotated", "ok");
      assertEquals("ok", client.get("tls/rotated").map(KeyValue::valueUtf8).orElseThrow());
    }
  }

  // ---- helpers: TLS straight from the JDK, to see what a port presents and accepts

  private BigInteger serial(String name) {
    try {
      return Pem.certificates(certs.resolve(name)).get(0).getSerialNumber();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private SSLContext context(Path ca, Path cert, Path key) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    int n = 0;
    for (X509Certificate c : Pem.certificates(ca)) {
      trust.setCertificateEntry("ca" + n++, c);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (cert != null) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("me", Pem.privateKey(key), new char[0], Pem.certificates(cert).toArray(X509Certificate[]::new));
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, new char[0]);
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  /** The serial of the certificate {@code port} presents; with a client certificate for the Raft port. */
  private BigInteger presented(HostPort port, Path cert, Path key) throws Exception {
    Path ca = cert == null ? certs.resolve("ca.pem") : certs.resolve("peer-ca.pem");
    try (SSLSocket s = (SSLSocket) context(ca, cert, key).getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress(port.host(), port.port()), 5000);
      s.setSoTimeout(5000);
      s.startHandshake();
      return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  private BigInteger presentedQuietly(HostPort port, Path cert, Path key) {
    try {
      return presented(port, cert, key);
    } catch (Exception e) {
      return null;
    }
  }

  /**
   * Whether the Raft port accepts this client certificate: in TLS 1.3 a refused certificate shows
   * as an alert on the first read; an accepted one leaves the node waiting for us (read times out).
   */
  private boolean raftPortAccepts(HostPort port, Path cert, Path key) throws Exception {
    try (SSLSocket s =
        (SSLSocket) context(certs.resolve("peer-ca.pem"), cert, key).getSocketFactory().createSocket()) {
      s.connect(new InetSocketAddress(port.host(), port.port()), 5000);
      s.setSoTimeout(2000);
      s.startHandshake();
      s.getInputStream().read();
      return true; // the node sent something (HTTP/2 settings): it accepted us
    } catch (SocketTimeoutException e) {
      return true;
    } catch (SSLException | java.net.SocketException e) {
      return false;
    }
  }

  private static boolean isListening(String endpoint) {
    HostPort hp = HostPort.parse(endpoint);
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new InetSocketAddress(hp.host(), hp.port()), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String read(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
