package io.ternkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.InvalidArgumentException;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.client.WriteResult;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** A 3-node LocalCluster driven through the real client: replication, failover, catch-up. */
class ReplicationIT {
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  static TernClient client(LocalCluster cluster) {
    return TernClient.builder().endpoints(cluster.endpoints()).requestTimeout(TIMEOUT).build();
  }

  /** A client pinned to one node: STALE reads then show exactly that node's local state. */
  static TernClient pinned(LocalCluster cluster, int node) {
    return TernClient.builder().endpoints(cluster.endpoint(node)).requestTimeout(TIMEOUT).build();
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }

  static Optional<String> staleValue(LocalCluster cluster, int node, String key) {
    try (TernClient c = pinned(cluster, node)) {
      return c.get(key, ReadConsistency.STALE).map(KeyValue::valueUtf8);
    }
  }

  @Test
  void writeIsReadableOnAllNodes() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).start();
        TernClient client = client(cluster)) {
      WriteResult w = client.put("greeting", "hello");
      assertTrue(w.revision() >= 1);
      assertEquals("hello", client.get("greeting").orElseThrow().valueUtf8());
      for (int i = 0; i < 3; i++) {
        int node = i;
        await(
            "node " + node + " has the write",
            () -> staleValue(cluster, node, "greeting").equals(Optional.of("hello")));
      }
    }
  }

  @Test
  void leaderCrashElectsNewLeaderAndLosesNoAcknowledgedWrite() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).start();
        TernClient client = client(cluster)) {
      for (int i = 0; i < 100; i++) {
        client.put("before/" + i, "v" + i);
      }
      int oldLeader = cluster.awaitLeader(TIMEOUT);
      cluster.killNode(oldLeader);
      int newLeader = cluster.awaitLeader(TIMEOUT);
      assertNotEquals(oldLeader, newLeader);
      for (int i = 0; i < 100; i++) {
        client.put("after/" + i, "v" + i);
      }
      for (int i = 0; i < 100; i++) {
        assertEquals("v" + i, client.get("before/" + i).orElseThrow().valueUtf8(), "before/" + i);
        assertEquals("v" + i, client.get("after/" + i).orElseThrow().valueUtf8(), "after/" + i);
      }
      assertEquals(100, client.range(KeyRange.prefix("before/"), 0).kvs().size());

      // The crashed node comes back, replays its log and catches up on what it missed.
      cluster.startNode(oldLeader);
      await(
          "restarted node caught up",
          () -> staleValue(cluster, oldLeader, "after/99").equals(Optional.of("v99")));
      await(
          "restarted node kept what it had",
          () -> staleValue(cluster, oldLeader, "before/0").equals(Optional.of("v0")));
    }
  }

  @Test
  void nodeThatMissedMoreThanSnapshotThresholdCatchesUpBySnapshotInstall() throws Exception {
    try (LocalCluster cluster =
            LocalCluster.builder()
                .nodes(3)
                .configure(b -> b.snapshotThreshold(50).logSegmentBytes(16 * 1024))
                .start();
        TernClient client = client(cluster)) {
      int leader = cluster.awaitLeader(TIMEOUT);
      int lagging = (leader + 1) % 3;
      client.put("first", "1");
      await("lagging node has the first write", () -> staleValue(cluster, lagging, "first").isPresent());
      cluster.stopNode(lagging);

      String value = "x".repeat(200);
      for (int i = 0; i < 600; i++) {
        client.put("bulk/" + i, value + i);
      }
      client.delete("first");
      await(
          "leader snapshot well past the lagging node",
          () -> cluster.node(cluster.awaitLeader(TIMEOUT)).status().snapshotIndex() > 500);

      cluster.startNode(lagging);
      await(
          "lagging node installed a snapshot",
          () -> cluster.node(lagging).status().snapshotsInstalled() >= 1);
      await(
          "lagging node has the last write",
          () -> staleValue(cluster, lagging, "bulk/599").equals(Optional.of(value + 599)));
      await("lagging node saw the delete", () -> staleValue(cluster, lagging, "first").isEmpty());
      try (TernClient local = pinned(cluster, lagging)) {
        assertEquals(600, local.range(KeyRange.prefix("bulk/"), 0, ReadConsistency.STALE).kvs().size());
      }
    }
  }

  @Test
  void snapshotLargerThanOneRaftMessageIsInstalledInChunks() throws Exception {
    // 320 values of 32 KiB: a snapshot of about 10 MiB, twice the Raft transport's message limit.
    try (LocalCluster cluster =
            LocalCluster.builder().nodes(3).configure(b -> b.snapshotThreshold(50)).start();
        TernClient client = client(cluster)) {
      int leader = cluster.awaitLeader(TIMEOUT);
      int lagging = (leader + 1) % 3;
      client.put("first", "1");
      await("lagging node has the first write", () -> staleValue(cluster, lagging, "first").isPresent());
      cluster.stopNode(lagging);

      String value = "y".repeat(32 * 1024);
      for (int i = 0; i < 320; i++) {
        client.put("big/" + i, value + i);
      }
      await(
          "leader snapshot well past the lagging node",
          () -> cluster.node(cluster.awaitLeader(TIMEOUT)).status().snapshotIndex() > 300);

      cluster.startNode(lagging);
      await(
          "lagging node installed a snapshot",
          () -> cluster.node(lagging).status().snapshotsInstalled() >= 1);
      await(
          "lagging node has the last write",
          () -> staleValue(cluster, lagging, "big/319").equals(Optional.of(value + 319)));
      try (TernClient local = pinned(cluster, lagging)) {
        for (int i = 0; i < 320; i++) {
          assertEquals(Optional.of(value + i), local.get("big/" + i, ReadConsistency.STALE).map(KeyValue::valueUtf8));
        }
      }
    }
  }

  @Test
  void crashBeforeStoreCommitReplaysLogWithoutApplyingTwice() throws Exception {
    // Commit the store every 10 writes and never by time, and take no snapshots: a crash then
    // leaves each store behind its log, and recovery must replay exactly the missing entries.
    try (LocalCluster cluster =
        LocalCluster.builder()
            .nodes(3)
            .configure(b -> b.storeCommit(10, Duration.ofHours(1)).snapshotThreshold(1_000_000))
            .start()) {
      long lastRevision;
      try (TernClient client = client(cluster)) {
        WriteResult last = null;
        for (int i = 1; i <= 25; i++) {
          last = client.put("counter", "v" + i);
        }
        lastRevision = last.revision();
        assertEquals(25, lastRevision);
        for (int i = 0; i < 3; i++) {
          int node = i;
          await("node " + node + " applied all", () -> staleValue(cluster, node, "counter").equals(Optional.of("v25")));
        }
      }
      for (int i = 0; i < 3; i++) {
        cluster.killNode(i);
      }
      cluster.start();
      try (TernClient client = client(cluster)) {
        KeyValue counter = client.get("counter").orElseThrow();
        assertEquals("v25", counter.valueUtf8());
        assertEquals(25, counter.version(), "each write applied exactly once");
        assertEquals(25, counter.modRevision());
        assertEquals(1, counter.createRevision());
        for (int i = 0; i < 3; i++) {
          try (TernClient local = pinned(cluster, i)) {
            int node = i;
            await(
                "node " + node + " replayed",
                () -> local.get("counter", ReadConsistency.STALE).map(KeyValue::version).orElse(0L) == 25L);
          }
        }
        assertEquals(26, client.put("counter", "v26").revision(), "revision continues, not repeated");
      }
    }
  }

  @Test
  void badInputGetsItsErrorAndChangesNothing() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).start();
        TernClient client = client(cluster)) {
      long before = client.put("anchor", "1").revision();
      assertThrows(InvalidArgumentException.class, () -> client.put("", "v"));
      assertThrows(InvalidArgumentException.class, () -> client.put("k".repeat(4097), "v"));
      assertThrows(InvalidArgumentException.class, () -> client.put(new byte[] {1}, new byte[1024 * 1024 + 1]));
      assertThrows(InvalidArgumentException.class, () -> client.get(""));
      assertThrows(InvalidArgumentException.class, () -> client.delete(""));
      assertThrows(
          InvalidArgumentException.class,
          () -> client.range(KeyRange.between("b".getBytes(), "a".getBytes()), 0));
      assertEquals(before + 1, client.put("anchor", "2").revision(), "no revision was used");
    }
  }
}
