package io.ternkv.shell.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.ClusterStatus;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.Role;
import io.ternkv.client.TernClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Three real {@code tern server} processes on loopback: write, kill -9 the leader, keep writing,
 * restart it, and every node ends with all the data. On failure the data directory and the node
 * logs are kept and their location printed.
 */
class MultiProcessIT {
  static final Duration TIMEOUT = Duration.ofSeconds(60);

  @Test
  void killedLeaderRestartsAndEveryNodeEndsWithAllData() throws Exception {
    Path dir = Files.createTempDirectory("ternkv-e2e-");
    boolean passed = false;
    try (ProcessCluster cluster = new ProcessCluster(dir, 3)) {
      cluster.startAll();
      try (TernClient client =
          TernClient.builder().endpoints(cluster.endpoints()).requestTimeout(TIMEOUT).build()) {
        for (int i = 0; i < 200; i++) {
          client.put("e2e/" + i, "first-" + i);
        }
        int leader = leaderIndex(client, cluster);
        cluster.kill9(leader);
        for (int i = 200; i < 400; i++) {
          client.put("e2e/" + i, "second-" + i);
        }
        assertEquals(400, client.range(KeyRange.prefix("e2e/"), 0).kvs().size());

        cluster.start(leader);
        for (int node = 0; node < 3; node++) {
          try (TernClient pinned =
              TernClient.builder().endpoints(cluster.endpoint(node)).requestTimeout(TIMEOUT).build()) {
            awaitValue(pinned, "e2e/399", "second-399");
            var all = pinned.range(KeyRange.prefix("e2e/"), 0, ReadConsistency.STALE).kvs();
            assertEquals(400, all.size(), "node " + node);
            for (KeyValue kv : all) {
              int n = Integer.parseInt(kv.keyUtf8().substring(4));
              assertEquals((n < 200 ? "first-" : "second-") + n, kv.valueUtf8());
            }
          }
        }
      }
      // SIGTERM stops every node cleanly.
      for (int i = 0; i < 3; i++) {
        assertEquals(0, cluster.terminate(i), "exit code of node " + (i + 1));
      }
      // The launcher sized the common pool before Ratis could use it (see Tern.main).
      for (int i = 0; i < 3; i++) {
        String log = java.nio.file.Files.readString(cluster.log(i));
        assertTrue(!log.contains("common pool has parallelism"), "node " + (i + 1) + " warned: " + cluster.log(i));
      }
      passed = true;
    } finally {
      if (passed) {
        io.ternkv.shell.e2e.Files2.deleteRecursively(dir);
      } else {
        System.err.println("MultiProcessIT failed; data and node logs kept in " + dir);
      }
    }
  }

  static int leaderIndex(TernClient client, ProcessCluster cluster) {
    for (int i = 0; i < 3; i++) {
      ClusterStatus s = client.status(cluster.endpoint(i));
      if (s.role() == Role.LEADER) {
        return i;
      }
    }
    throw new AssertionError("no node reports itself leader");
  }

  static void awaitValue(TernClient pinned, String key, String value) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      Optional<String> v;
      try {
        v = pinned.get(key, ReadConsistency.STALE).map(KeyValue::valueUtf8);
      } catch (RuntimeException e) {
        v = Optional.empty(); // the restarted node may not listen yet
      }
      if (v.equals(Optional.of(value))) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + key + "=" + value);
      Thread.sleep(50);
    }
  }
}
