package io.ternkv.shell.e2e.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.WriteConsistency;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Acknowledged writes survive {@code kill -9} of every node at once, repeatedly. In each round
 * three writers put fresh keys (and overwrite one counter key each) until, at a random moment,
 * every process is killed mid-write; then all restart and the store must hold every acknowledged
 * write, no value that was never written, and each counter at least its last acknowledged value
 * and at most its last attempted one. Every node, read locally after a write every voter applied,
 * must hold exactly the same data. Rounds accumulate: each checks all earlier rounds' data too.
 */
class DurabilityIT {
  /** At least this many rounds; with {@code robustness.duration} set, rounds go on that long. */
  static final int ROUNDS = 3;
  static final int WRITERS = 3;

  /** What writers did: key -> value for acknowledged and for maybe-applied writes. */
  private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
  private final Map<String, String> attempted = new ConcurrentHashMap<>();
  private final long[] counterAcked = new long[WRITERS];
  private final long[] counterAttempted = new long[WRITERS];

  @Test
  void acknowledgedWritesSurviveKillingEveryNodeAtOnce() throws Exception {
    Path dir = Evidence.newDir("DurabilityIT");
    boolean passed = false;
    long seed = Robustness.seed();
    Random random = new Random(seed);
    StringBuilder report = new StringBuilder("seed " + seed + "\n");
    try (FaultyCluster c = new FaultyCluster(dir.resolve("cluster"), 3, List.of());
        TernClient admin =
            TernClient.builder().endpoints(c.endpoints()).requestTimeout(Duration.ofSeconds(30)).build()) {
      c.startAll();
      Nemesis.awaitSoleLeader(c, admin, Duration.ofSeconds(60));
      long end = System.nanoTime() + Robustness.duration(Duration.ZERO).toNanos();
      for (int round = 0; round < ROUNDS || System.nanoTime() < end; round++) {
        int ackedBefore = acknowledged.size();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          int writer = w;
          int r = round;
          Thread t = new Thread(() -> write(c, r, writer, stop), "durability-writer-" + w);
          t.setDaemon(true);
          t.start();
          writers.add(t);
        }
        Thread.sleep(2000 + random.nextInt(3000));
        c.kill9All();
        stop.set(true);
        for (Thread t : writers) {
          t.join(60_000);
          assertTrue(!t.isAlive(), t.getName() + " did not stop");
        }
        c.startAll();
        Nemesis.awaitSoleLeader(c, admin, Duration.ofSeconds(60));
        String line = String.format("round %d: %d writes acknowledged, %d attempted in all%n", round,
            acknowledged.size() - ackedBefore, attempted.size());
        report.append(line);
        System.out.print(line);
        assertTrue(acknowledged.size() > ackedBefore, "no write was acknowledged in round " + round);
        verify(c, admin);
      }
      passed = true;
    } finally {
      if (!passed) {
        Files.writeString(dir.resolve("report.txt"), report);
        Files.writeString(dir.resolve("acknowledged.txt"), String.join("\n",
            new TreeMap<>(acknowledged).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
      }
      Evidence.keepOnFailure(dir, passed, "DurabilityIT");
    }
  }

  private void write(FaultyCluster c, int round, int writer, AtomicBoolean stop) {
    try (TernClient client =
        TernClient.builder().endpoints(c.endpoints()).requestTimeout(Duration.ofSeconds(2)).build()) {
      for (int seq = 0; !stop.get(); seq++) {
        String key = "dur/r" + round + "/w" + writer + "/" + seq;
        String value = "v" + round + "-" + writer + "-" + seq;
        attempted.put(key, value);
        String counterKey = "dur/counter/w" + writer;
        long counter = round * 1_000_000L + seq;
        try {
          client.put(key, value);
          acknowledged.put(key, value);
          synchronized (counterAttempted) {
            counterAttempted[writer] = counter;
          }
          client.put(counterKey, Long.toString(counter));
          synchronized (counterAttempted) {
            counterAcked[writer] = counter;
          }
        } catch (TernException e) {
          // unknown: may or may not have been applied; the cluster is being killed
          if (stop.get()) {
            return;
          }
        }
      }
    }
  }

  private void verify(FaultyCluster c, TernClient admin) {
    List<KeyValue> all = admin.range(KeyRange.prefix("dur/"), 0, ReadConsistency.LINEARIZABLE).kvs();
    Map<String, String> stored = new TreeMap<>();
    for (KeyValue kv : all) {
      stored.put(kv.keyUtf8(), kv.valueUtf8());
    }
    List<String> problems = new ArrayList<>();
    acknowledged.forEach((k, v) -> {
      if (!v.equals(stored.get(k))) {
        problems.add("acknowledged " + k + "=" + v + " but stored " + stored.get(k));
      }
    });
    stored.forEach((k, v) -> {
      if (k.startsWith("dur/counter/")) {
        int w = Integer.parseInt(k.substring("dur/counter/w".length()));
        long n = Long.parseLong(v);
        synchronized (counterAttempted) {
          if (n < counterAcked[w] || n > counterAttempted[w]) {
            problems.add(k + "=" + n + " outside [last acknowledged " + counterAcked[w] + ", last attempted "
                + counterAttempted[w] + "]");
          }
        }
      } else if (!v.equals(attempted.get(k))) {
        problems.add("stored " + k + "=" + v + " which was never written");
      }
    });
    assertEquals(List.of(), problems, "after restarting every node");
    // Every replica, read locally, holds the same data once every voter applied a later write.
    admin.put("dur-sync".getBytes(StandardCharsets.UTF_8), new byte[] {1}, WriteConsistency.ALL);
    for (int i = 0; i < c.size(); i++) {
      try (TernClient pinned =
          TernClient.builder().endpoints(c.endpoint(i)).requestTimeout(Duration.ofSeconds(30)).build()) {
        Map<String, String> local = new TreeMap<>();
        for (KeyValue kv : pinned.range(KeyRange.prefix("dur/"), 0, ReadConsistency.STALE).kvs()) {
          local.put(kv.keyUtf8(), kv.valueUtf8());
        }
        assertEquals(stored, local, "node " + FaultyCluster.id(i) + " differs from the leader");
      }
    }
  }
}
