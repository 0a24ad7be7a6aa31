package io.ternkv.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ternkv.server.LocalCluster;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the driver briefly against a real 3-node cluster and checks the CSV it wrote: every phase
 * at every in-flight count, with requests measured and none failed. The etcd part runs only where
 * etcd is installed (bench/compare-etcd.sh installs it).
 */
class LoadDriverIT {
  @Test
  void everyTernkvPhaseRecordsRequestsWithoutErrors(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("results.csv");
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).start()) {
      cluster.awaitLeader(Duration.ofSeconds(30));
      LoadDriver.run(
          LoadOptions.parse(
              "--target", "ternkv", "--endpoints", String.join(",", cluster.endpoints()),
              "--inflight", "1,8", "--phases", "put,get,ycsb-b", "--keys", "200",
              "--warmup", "200ms", "--duration", "1s", "--round", "3", "--csv", csv.toString()));
    }
    assertPhases(
        csv, "ternkv",
        List.of("put", "get-linearizable", "get-lease", "get-session", "get-stale", "ycsb-b"));
  }

  @Test
  void everyEtcdPhaseRecordsRequestsWithoutErrors(@TempDir Path dir) throws Exception {
    assumeTrue(onPath("etcd"), "etcd is not installed");
    int client;
    int peer;
    try (ServerSocket a = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        ServerSocket b = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      client = a.getLocalPort();
      peer = b.getLocalPort();
    }
    Process etcd =
        new ProcessBuilder(
                "etcd", "--name", "e1", "--data-dir", dir.resolve("etcd").toString(),
                "--listen-client-urls", "http://127.0.0.1:" + client,
                "--advertise-client-urls", "http://127.0.0.1:" + client,
                "--listen-peer-urls", "http://127.0.0.1:" + peer,
                "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
                "--initial-cluster", "e1=http://127.0.0.1:" + peer)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("etcd.log").toFile())
            .start();
    Path csv = dir.resolve("results.csv");
    try {
      LoadDriver.run(
          LoadOptions.parse(
              "--target", "etcd", "--endpoints", "127.0.0.1:" + client, "--inflight", "1,8",
              "--phases", "put,get", "--keys", "200", "--warmup", "200ms", "--duration", "1s",
              "--csv", csv.toString()));
    } finally {
      etcd.destroy();
      if (!etcd.waitFor(10, TimeUnit.SECONDS)) {
        etcd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    assertPhases(csv, "etcd", List.of("put", "get-linearizable", "get-serializable"));
  }

  private static void assertPhases(Path csv, String target, List<String> phases) throws IOException {
    List<PhaseResult> rows = PhaseResult.read(csv);
    assertTrue(Files.readAllLines(csv).get(0).equals(PhaseResult.HEADER), "header first");
    List<String> seen = new ArrayList<>();
    for (PhaseResult r : rows) {
      seen.add(r.phase() + "@" + r.inFlight());
      assertEquals(target, r.target(), r.toString());
      assertTrue(r.ops() > 0 && r.opsPerSec() > 0, "requests measured: " + r);
      assertTrue(r.p50Ms() > 0 && r.p99Ms() >= r.p50Ms(), "latencies recorded: " + r);
      assertEquals(0, r.errors(), "no errors: " + r);
      assertEquals(0, r.shed(), "nothing shed: " + r);
    }
    List<String> expected = new ArrayList<>();
    for (String p : phases) {
      expected.add(p + "@1");
      expected.add(p + "@8");
    }
    assertEquals(expected, seen, "one row per phase and in-flight count, in order");
  }

  private static boolean onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }
}
