package io.ternkv.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.DeleteResult;
import io.ternkv.client.ErrorCode;
import io.ternkv.client.InvalidArgumentException;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.PutOptions;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.ReadOptions;
import io.ternkv.client.RevisionOutOfRangeException;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.WriteResult;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Revisions and history through the real client, gRPC, Raft and store of a 3-node cluster. */
class HistoryIT {
  static LocalCluster cluster;
  static TernClient client;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    client = TernClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }

  static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  static String value(KeyValue kv) {
    return new String(kv.value(), UTF_8);
  }

  @Test
  void readsAtPastRevisionsThenOutOfRangeAfterCompaction() throws Exception {
    long r1 = client.put(b("h/a"), b("1")).revision();
    long r2 = client.put(b("h/a"), b("2")).revision();
    long r3 = client.put(b("h/b"), b("1")).revision();
    long r4 = client.delete(b("h/a")).header().revision();
    assertEquals(List.of(r1 + 1, r1 + 2, r1 + 3), List.of(r2, r3, r4));

    assertEquals("1", value(client.get(b("h/a"), ReadOptions.atRevision(r1)).orElseThrow()));
    KeyValue atR2 = client.get(b("h/a"), ReadOptions.atRevision(r2)).orElseThrow();
    assertEquals("2", value(atR2));
    assertEquals(2, atR2.version());
    assertEquals(r1, atR2.createRevision());
    assertTrue(client.get(b("h/a"), ReadOptions.atRevision(r4)).isEmpty(), "deleted at r4");
    assertTrue(client.get(b("h/b"), ReadOptions.atRevision(r2)).isEmpty(), "not yet written at r2");
    assertEquals(
        List.of("h/a=2", "h/b=1"),
        client.range(KeyRange.prefix("h/"), 0, ReadOptions.atRevision(r3)).kvs().stream()
            .map(kv -> kv.keyUtf8() + "=" + value(kv))
            .toList());
    assertEquals(
        List.of("h/b=1"),
        client.range(KeyRange.prefix("h/"), 0, ReadOptions.atRevision(r4)).kvs().stream()
            .map(kv -> kv.keyUtf8() + "=" + value(kv))
            .toList());
    // Every level and every node reads the same past.
    for (int node = 0; node < 3; node++) {
      try (TernClient one =
          TernClient.builder().endpoints(cluster.endpoint(node)).requestTimeout(Duration.ofSeconds(10)).build()) {
        await(one, r4);
        assertEquals(
            "2",
            value(
                one.get(b("h/a"), ReadOptions.of(ReadConsistency.STALE).withRevision(r2)).orElseThrow()),
            "node " + node);
      }
    }

    RevisionOutOfRangeException future =
        assertThrows(
            RevisionOutOfRangeException.class,
            () -> client.get(b("h/a"), ReadOptions.atRevision(r4 + 1_000_000)));
    assertTrue(future.currentRevision() >= r4, future.getMessage());

    client.compact(r3);
    RevisionOutOfRangeException gone =
        assertThrows(RevisionOutOfRangeException.class, () -> client.get(b("h/a"), ReadOptions.atRevision(r2)));
    assertEquals(r3, gone.compactRevision());
    assertEquals(ErrorCode.OUT_OF_RANGE, gone.code());
    assertTrue(gone.getMessage().contains("compacted"), gone.getMessage());
    assertThrows(
        RevisionOutOfRangeException.class,
        () -> client.range(KeyRange.prefix("h/"), 0, ReadOptions.atRevision(r1)));
    // The compacted revision itself still reads, on every node.
    for (int node = 0; node < 3; node++) {
      try (TernClient one =
          TernClient.builder().endpoints(cluster.endpoint(node)).requestTimeout(Duration.ofSeconds(10)).build()) {
        assertEquals(
            "2",
            value(one.get(b("h/a"), ReadOptions.of(ReadConsistency.STALE).withRevision(r3)).orElseThrow()));
        assertThrows(
            RevisionOutOfRangeException.class,
            () -> one.get(b("h/a"), ReadOptions.of(ReadConsistency.STALE).withRevision(r2)));
      }
    }
    // Compacting again to the same or an older revision, or the future: OUT_OF_RANGE.
    assertThrows(RevisionOutOfRangeException.class, () -> client.compact(r3));
    assertThrows(RevisionOutOfRangeException.class, () -> client.compact(r4 + 1_000_000));
    assertThrows(InvalidArgumentException.class, () -> client.compact(0));
  }

  /** Waits until the node behind {@code one} has applied revision {@code revision}. */
  static void await(TernClient one, long revision) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (one.range(KeyRange.all(), 1, ReadConsistency.STALE).header().revision() < revision) {
      assertTrue(System.nanoTime() < deadline, "node never reached revision " + revision);
      Thread.sleep(20);
    }
  }

  @Test
  void theLeaderCompactsHistoryBeyondItsRetentionOnEveryNode() throws Exception {
    try (LocalCluster small = LocalCluster.builder().nodes(3).configure(b -> b.historyRetention(20)).start();
        TernClient c = TernClient.builder().endpoints(small.endpoints()).requestTimeout(Duration.ofSeconds(10)).build()) {
      small.awaitLeader(Duration.ofSeconds(20));
      long first = c.put("auto/k", "0").revision();
      long last = first;
      for (int i = 1; i <= 60; i++) {
        last = c.put("auto/k", "v" + i).revision();
      }
      // The compactor may run between the writes too; wait for the compaction that follows the
      // last of them (one step behind it at most).
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      RevisionOutOfRangeException gone = null;
      while (gone == null || gone.compactRevision() < last - 22) {
        assertTrue(System.nanoTime() < deadline, "history was never compacted up to the writes: " + gone);
        try {
          c.get(b("auto/k"), ReadOptions.atRevision(first));
          Thread.sleep(100);
        } catch (RevisionOutOfRangeException e) {
          gone = e;
          Thread.sleep(100);
        }
      }
      // Between 20 and 22 revisions are kept (steps of a tenth, at least one revision).
      assertTrue(gone.compactRevision() >= last - 22 && gone.compactRevision() <= last - 20, gone.getMessage());
      for (int node = 0; node < 3; node++) {
        try (TernClient one =
            TernClient.builder().endpoints(small.endpoint(node)).requestTimeout(Duration.ofSeconds(10)).build()) {
          await(one, last);
          assertEquals(
              "v40",
              value(one.get(b("auto/k"), ReadOptions.of(ReadConsistency.STALE).withRevision(last - 20)).orElseThrow()),
              "node " + node);
          assertThrows(
              RevisionOutOfRangeException.class,
              () -> one.get(b("auto/k"), ReadOptions.of(ReadConsistency.STALE).withRevision(first)));
        }
      }
    }
  }

  @Test
  void putAndDeleteReturnPreviousVersions() {
    WriteResult first = client.put(b("p/k"), b("old"), PutOptions.defaults().withPrevious());
    assertTrue(first.previous().isEmpty(), "nothing replaced");
    WriteResult second = client.put(b("p/k"), b("new"), PutOptions.defaults().withPrevious());
    KeyValue prev = second.previous().orElseThrow();
    assertEquals("old", value(prev));
    assertEquals(first.revision(), prev.modRevision());
    assertTrue(client.put(b("p/k"), b("newer"), PutOptions.defaults()).previous().isEmpty(), "not asked");

    DeleteResult deleted = client.delete(b("p/k"), io.ternkv.client.WriteConsistency.MAJORITY, true);
    assertEquals(1, deleted.deleted());
    assertEquals("newer", value(deleted.previous().get(0)));
  }

  @Test
  void deleteByPrefixAndRangeAtOneRevision() {
    for (String k : List.of("d/a", "d/b", "d/c", "d/c/x", "e/a")) {
      client.put(b(k), b("v-" + k));
    }
    long before = client.get(b("e/a")).orElseThrow().modRevision();
    DeleteResult prefix = client.deleteRange(KeyRange.prefix("d/c"), true);
    assertEquals(2, prefix.deleted());
    assertEquals(before + 1, prefix.header().revision(), "all keys at one revision");
    assertEquals(
        List.of("d/c=v-d/c", "d/c/x=v-d/c/x"),
        prefix.previous().stream().map(kv -> kv.keyUtf8() + "=" + value(kv)).toList());
    DeleteResult range = client.deleteRange(KeyRange.between(b("d/a"), b("d/b")));
    assertEquals(1, range.deleted());
    assertTrue(range.previous().isEmpty(), "not asked");
    DeleteResult none = client.deleteRange(KeyRange.prefix("nothing/"));
    assertEquals(0, none.deleted());
    assertEquals(range.header().revision(), none.header().revision(), "deleting nothing keeps the revision");
    assertEquals(
        List.of("d/b"),
        client.range(KeyRange.prefix("d/"), 0).kvs().stream().map(KeyValue::keyUtf8).toList());
    assertTrue(client.get(b("e/a")).isPresent(), "outside the ranges");
    TernException bad =
        assertThrows(
            InvalidArgumentException.class,
            () -> client.deleteRange(KeyRange.between(b("z"), b("a"))));
    assertTrue(bad.getMessage().contains("end"), bad.getMessage());
  }
}
