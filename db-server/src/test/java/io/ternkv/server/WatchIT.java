package io.ternkv.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.KeyRange;
import io.ternkv.client.RevisionOutOfRangeException;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.Watch;
import io.ternkv.client.WatchEvent;
import io.ternkv.client.WatchListener;
import io.ternkv.client.WatchOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Watches through the real client, gRPC, Raft and store of a 3-node cluster, with failures. */
@SuppressWarnings("try") // watches held open by try-with-resources, not otherwise used
class WatchIT {
  LocalCluster cluster;
  TernClient client;

  @BeforeEach
  void start() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    client =
        TernClient.builder()
            .endpoints(cluster.endpoints())
            .requestTimeout(Duration.ofSeconds(15))
            .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
            .build();
  }

  @AfterEach
  void stop() {
    client.close();
    cluster.close();
  }

  static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "never: " + what);
      Thread.sleep(20);
    }
  }

  /** Records what a watch delivers, as "revision type key=value" lines. */
  static class Recorder implements WatchListener {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final List<WatchEvent> raw = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong progress = new AtomicLong();
    volatile TernException cancelled;

    @Override
    public void onEvents(List<WatchEvent> batch) {
      for (WatchEvent e : batch) {
        raw.add(e);
        events.add(line(e));
      }
    }

    @Override
    public void onProgress(long revision) {
      progress.accumulateAndGet(revision, Math::max);
    }

    @Override
    public void onCancelled(TernException reason) {
      cancelled = reason;
    }

    long lastRevision() {
      synchronized (raw) {
        return raw.isEmpty() ? 0 : raw.get(raw.size() - 1).revision();
      }
    }
  }

  static String line(WatchEvent e) {
    return e.revision()
        + " "
        + e.type()
        + " "
        + e.kv().keyUtf8()
        + (e.type() == WatchEvent.Type.PUT ? "=" + new String(e.kv().value(), UTF_8) : "");
  }

  @Test
  void eventsArriveInOrderWithFiltersPreviousVersionsAndHistoryReplay() throws Exception {
    Recorder all = new Recorder();
    Recorder deletesWithPrev = new Recorder();
    Recorder oneKey = new Recorder();
    try (Watch w1 = client.watch(WatchOptions.range(KeyRange.prefix("w/")), all);
        Watch w2 =
            client.watch(
                WatchOptions.range(KeyRange.prefix("w/")).withoutPuts().withPreviousVersions(),
                deletesWithPrev);
        Watch w3 = client.watch(WatchOptions.key(b("w/b")), oneKey)) {
      await("watches started", () -> w1.nextRevision() > 0 && w2.nextRevision() > 0 && w3.nextRevision() > 0);
      long r1 = client.put("w/a", "1").revision();
      long r2 = client.put("w/b", "1").revision();
      client.put("outside", "x");
      long r3 = client.delete("w/a").header().revision();
      long r4 =
          client
              .txn(
                  io.ternkv.client.Txn.builder()
                      .then(
                          io.ternkv.client.TxnOp.put(b("w/b"), b("2")),
                          io.ternkv.client.TxnOp.put(b("w/c"), b("1")))
                      .build())
              .header()
              .revision();
      List<String> expected =
          List.of(
              r1 + " PUT w/a=1",
              r2 + " PUT w/b=1",
              r3 + " DELETE w/a",
              r4 + " PUT w/b=2",
              r4 + " PUT w/c=1");
      await("all events", () -> all.events.size() >= expected.size());
      assertEquals(expected, all.events);
      await("the delete", () -> deletesWithPrev.events.size() >= 1);
      assertEquals(List.of(r3 + " DELETE w/a"), deletesWithPrev.events);
      assertEquals("1", new String(deletesWithPrev.raw.get(0).previous().orElseThrow().value(), UTF_8));
      await("one key", () -> oneKey.events.size() >= 2);
      assertEquals(List.of(r2 + " PUT w/b=1", r4 + " PUT w/b=2"), oneKey.events);

      // A watch from a past revision replays history exactly.
      Recorder replay = new Recorder();
      try (Watch w4 = client.watch(WatchOptions.range(KeyRange.prefix("w/")).fromRevision(r2), replay)) {
        await("replay", () -> replay.events.size() >= 4);
        assertEquals(expected.subList(1, 5), replay.events);
        assertTrue(w4.nextRevision() > r4);
      }
    }
  }

  @Test
  void idleWatchHearsProgressAndACompactedStartIsCancelledClearly() throws Exception {
    long r1 = client.put("c/a", "1").revision();
    client.put("c/a", "2");
    long r3 = client.put("c/a", "3").revision();
    Recorder idle = new Recorder();
    try (Watch w = client.watch(WatchOptions.key(b("c/idle")).withProgress(), idle)) {
      await("a progress notification at the current revision", () -> idle.progress.get() >= r3);
      assertTrue(idle.events.isEmpty());
    }

    client.compact(r3);
    Recorder late = new Recorder();
    try (Watch w = client.watch(WatchOptions.key(b("c/a")).fromRevision(r1), late)) {
      await("cancelled", () -> late.cancelled != null);
      RevisionOutOfRangeException e = assertInstanceOf(RevisionOutOfRangeException.class, late.cancelled);
      assertEquals(r3, e.compactRevision());
      assertTrue(late.events.isEmpty());
    }
    // From the compacted revision itself the watch runs.
    Recorder atCompacted = new Recorder();
    try (Watch w = client.watch(WatchOptions.key(b("c/a")).fromRevision(r3), atCompacted)) {
      await("the compacted revision's event", () -> atCompacted.events.size() >= 1);
      assertEquals(List.of(r3 + " PUT c/a=3"), atCompacted.events);
      assertEquals(null, atCompacted.cancelled);
    }
  }

  @Test
  void everyEventExactlyOnceAcrossALeaderChangeAndAReconnect() throws Exception {
    long start = client.put("x/start", "0").revision();
    Recorder seen = new Recorder();
    Watch watch = client.watch(WatchOptions.range(KeyRange.prefix("x/")).fromRevision(start), seen);
    List<Long> acknowledged = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer =
        new Thread(
            () -> {
              for (int i = 0; !stop.get() && i < 5_000; i++) {
                try {
                  acknowledged.add(client.put("x/" + (i % 7), "v" + i).revision());
                } catch (TernException e) {
                  // Unknown outcome while nodes fail: it may or may not appear; both are fine.
                }
              }
            },
            "writer");
    writer.start();
    try {
      await("some events", () -> seen.events.size() > 50);

      // 1) Kill the node serving the watch: the watch must move to another node.
      int serving = cluster.endpoints().indexOf(watch.endpoint());
      int reconnectsBefore = watch.reconnects();
      cluster.killNode(serving);
      await("the watch moved", () -> watch.reconnects() > reconnectsBefore);
      long afterMove = seen.lastRevision();
      await("events after the move", () -> seen.lastRevision() > afterMove + 50);
      cluster.startNode(serving);

      // 2) Kill the leader (a leader change, and a second reconnect if the watch is on it).
      int leader = cluster.awaitLeader(Duration.ofSeconds(20));
      long termBefore = client.status(cluster.endpoint(leader)).term();
      cluster.killNode(leader);
      int newLeader = cluster.awaitLeader(Duration.ofSeconds(20));
      assertTrue(newLeader != leader);
      assertTrue(client.status(cluster.endpoint(newLeader)).term() > termBefore, "a new term");
      long afterChange = seen.lastRevision();
      await("events after the leader change", () -> seen.lastRevision() > afterChange + 50);
      cluster.startNode(leader);
    } finally {
      stop.set(true);
      writer.join(TimeUnit.SECONDS.toMillis(60));
    }
    assertFalse(writer.isAlive());
    long last = client.put("x/end", "end").revision();
    await("the watch caught up", () -> seen.lastRevision() >= last);
    watch.close();

    // The history since the start, as a fresh watch replays it from the store.
    Recorder history = new Recorder();
    try (Watch replay = client.watch(WatchOptions.range(KeyRange.prefix("x/")).fromRevision(start), history)) {
      await("the replay caught up", () -> history.lastRevision() >= last);
    }
    assertEquals(history.events, seen.events, "live events equal the history: no gaps, no duplicates");
    List<Long> revisions = seen.raw.stream().map(WatchEvent::revision).toList();
    for (int i = 1; i < revisions.size(); i++) {
      assertTrue(revisions.get(i) > revisions.get(i - 1), "strictly increasing at " + i);
    }
    assertTrue(revisions.containsAll(acknowledged), "every acknowledged put was seen");
    assertTrue(acknowledged.size() > 150, "the writer made progress: " + acknowledged.size());
    assertTrue(watch.reconnects() >= 1);
    assertEquals(null, seen.cancelled);
  }

  /** A recorder whose listener blocks until released: a client that stops reading. */
  static final class Blocked extends Recorder {
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public void onEvents(List<WatchEvent> batch) {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      super.onEvents(batch);
    }
  }

  @Test
  void aBlockedWatcherResumesFromHistoryOrIsCancelledWhenCompactionOvertakesIt() throws Exception {
    byte[] big = new byte[16 * 1024];
    long start = client.put("s/first", "x").revision();
    // 400 puts of 16 KiB: 6.4 MiB, far beyond what gRPC buffers for one stream.
    Blocked slow = new Blocked();
    try (Watch w = client.watch(WatchOptions.range(KeyRange.prefix("s/")).fromRevision(start), slow)) {
      long last = 0;
      for (int i = 0; i < 400; i++) {
        last = client.put(b("s/" + (i % 10)), big).revision();
      }
      slow.release.countDown();
      long end = last;
      await("the slow watcher caught up from history", () -> slow.lastRevision() >= end);
      assertEquals(401, slow.events.size(), "every event, once");
      assertEquals(null, slow.cancelled);
    }

    Blocked overtaken = new Blocked();
    long from = client.put("s/again", "x").revision();
    try (Watch w = client.watch(WatchOptions.range(KeyRange.prefix("s/")).fromRevision(from), overtaken)) {
      long last = 0;
      for (int i = 0; i < 400; i++) {
        last = client.put(b("s/" + (i % 10)), big).revision();
      }
      client.compact(last);
      overtaken.release.countDown();
      await("the overtaken watch is cancelled", () -> overtaken.cancelled != null);
      RevisionOutOfRangeException e =
          assertInstanceOf(RevisionOutOfRangeException.class, overtaken.cancelled);
      assertEquals(last, e.compactRevision());
      assertTrue(overtaken.lastRevision() < last, "it could not have received everything");
    }
  }
}
