package io.ternkv.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.KeyValue;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.server.check.LinearizabilityChecker;
import io.ternkv.server.check.Op;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Concurrent clients put, delete and read (LINEARIZABLE and LEASE) a few keys while the leader is
 * killed and restarted, and once cut off from the majority; the recorded history must be
 * linearizable. Bounded: 4 clients, 9 seconds, 3 faults. On failure the history is written to
 * target/ and its location printed.
 */
class LinearizableUnderFaultsIT {
  static final int CLIENTS = 4;
  static final long RUN_NANOS = Duration.ofSeconds(9).toNanos();

  @Test
  void historyWithLeaderKillsIsLinearizable() throws Exception {
    ConcurrentLinkedQueue<Op> history = new ConcurrentLinkedQueue<>();
    AtomicInteger ids = new AtomicInteger();
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).start()) {
      cluster.awaitLeader(Duration.ofSeconds(20));
      long end = System.nanoTime() + RUN_NANOS;
      List<Thread> workers = new ArrayList<>();
      for (int p = 0; p < CLIENTS; p++) {
        int process = p;
        Thread t = new Thread(() -> work(cluster, process, end, ids, history), "worker-" + p);
        t.start();
        workers.add(t);
      }
      // Nemesis: kill the leader, cut the leader off from the majority, kill again.
      for (int fault = 0; fault < 3; fault++) {
        Thread.sleep(2000);
        int leader = cluster.awaitLeader(Duration.ofSeconds(20));
        if (fault == 1) {
          cluster.isolate(leader);
          Thread.sleep(1500);
          cluster.heal();
        } else {
          cluster.killNode(leader);
          Thread.sleep(700);
          cluster.startNode(leader);
        }
      }
      for (Thread t : workers) {
        t.join(60_000);
      }
    }
    List<Op> ops = new ArrayList<>(history);
    ops.sort((a, b) -> Integer.compare(a.id(), b.id()));
    long ok = ops.stream().filter(o -> o.outcome() == Op.Outcome.OK).count();
    System.out.printf(
        "history: %d operations, %d ok, %d unknown%n",
        ops.size(), ok, ops.stream().filter(o -> o.outcome() == Op.Outcome.UNKNOWN).count());
    assertTrue(ok > 200, "too few completed operations to mean anything: " + ok);
    LinearizabilityChecker.Result r = LinearizabilityChecker.check(ops);
    if (!r.linearizable()) {
      Path file = Path.of("target", "linearizability-history-" + System.currentTimeMillis() + ".txt");
      Files.createDirectories(file.getParent());
      StringBuilder b = new StringBuilder();
      ops.forEach(o -> b.append(o.describe()).append('\n'));
      Files.writeString(file, b);
      System.err.println("history kept in " + file.toAbsolutePath());
    }
    assertTrue(r.linearizable(), () -> r.explanation());
  }

  private static void work(LocalCluster cluster, int process, long end, AtomicInteger ids, ConcurrentLinkedQueue<Op> history) {
    Random random = new Random(process);
    ReadConsistency readLevel = process % 2 == 0 ? ReadConsistency.LINEARIZABLE : ReadConsistency.LEASE;
    try (TernClient client =
        TernClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(3)).build()) {
      int n = 0;
      while (System.nanoTime() < end) {
        String key = "k" + random.nextInt(3);
        int dice = random.nextInt(10);
        int id = ids.getAndIncrement();
        long invoke = System.nanoTime();
        if (dice < 4) {
          String value = "p" + process + "-" + (n++);
          try {
            client.put(key, value);
            history.add(new Op(id, process, Op.Kind.PUT, key, value, null, null, false, Op.Outcome.OK, invoke, System.nanoTime()));
          } catch (TernException e) {
            history.add(new Op(id, process, Op.Kind.PUT, key, value, null, null, false, Op.Outcome.UNKNOWN, invoke, Long.MAX_VALUE));
          }
        } else if (dice < 5) {
          try {
            client.delete(key);
            history.add(new Op(id, process, Op.Kind.DELETE, key, null, null, null, false, Op.Outcome.OK, invoke, System.nanoTime()));
          } catch (TernException e) {
            history.add(new Op(id, process, Op.Kind.DELETE, key, null, null, null, false, Op.Outcome.UNKNOWN, invoke, Long.MAX_VALUE));
          }
        } else {
          try {
            Optional<KeyValue> kv = client.get(key, readLevel);
            history.add(new Op(id, process, Op.Kind.GET, key, null, null, kv.map(KeyValue::valueUtf8).orElse(null), false,
                Op.Outcome.OK, invoke, System.nanoTime()));
          } catch (TernException e) {
            history.add(new Op(id, process, Op.Kind.GET, key, null, null, null, false, Op.Outcome.UNKNOWN, invoke, Long.MAX_VALUE));
          }
        }
      }
    }
  }
}
