package io.ternkv.server.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A node is fresh only as of the moment before its last answered read index round. */
class FreshnessProbeTest {
  static final long MS = 1_000_000;
  final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  final ConcurrentLinkedQueue<CompletableFuture<Object>> rounds = new ConcurrentLinkedQueue<>();
  final FreshnessProbe probe =
      new FreshnessProbe(
          () -> {
            CompletableFuture<Object> f = new CompletableFuture<>();
            rounds.add(f);
            return f;
          },
          timer,
          Runnable::run);

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  @Test
  void unknownUntilARoundIsAnswered() throws Exception {
    assertEquals(Long.MAX_VALUE, probe.stalenessNanos());
    CompletableFuture<Void> read = probe.awaitFresh(1000 * MS, 5000 * MS);
    assertFalse(read.isDone());
    assertEquals(1, rounds.size(), "a read that finds no fresh probe starts one");
    rounds.poll().complete(true);
    read.get(1, TimeUnit.SECONDS);
    assertTrue(probe.stalenessNanos() < 1000 * MS);
    assertTrue(probe.awaitFresh(1000 * MS, 0).isDone(), "fresh enough: served at once");
  }

  @Test
  void unansweredRoundsLetStalenessGrowAndReadsTimeOut() throws Exception {
    probe.awaitFresh(1000 * MS, 5000 * MS);
    rounds.poll().complete(true);
    Thread.sleep(300);
    // Later rounds (started by the timer while reads keep coming) are never answered.
    assertTrue(probe.stalenessNanos() >= 300 * MS);
    CompletableFuture<Void> tight = probe.awaitFresh(100 * MS, 200 * MS);
    ExecutionException e = assertThrows(ExecutionException.class, () -> tight.get(2, TimeUnit.SECONDS));
    assertInstanceOf(java.util.concurrent.TimeoutException.class, e.getCause());
  }

  @Test
  void freshAsOfTheStartOfTheRoundNotItsAnswer() throws Exception {
    CompletableFuture<Void> read = probe.awaitFresh(10_000 * MS, 5000 * MS);
    CompletableFuture<Object> round = rounds.poll();
    Thread.sleep(300);
    round.complete(true);
    read.get(1, TimeUnit.SECONDS);
    assertTrue(probe.stalenessNanos() >= 300 * MS, "the round began 300 ms before its answer");
  }

  @Test
  void failedRoundsDoNotCount() {
    CompletableFuture<Void> read = probe.awaitFresh(1000 * MS, 300 * MS);
    rounds.poll().completeExceptionally(new IllegalStateException("no leader"));
    assertEquals(Long.MAX_VALUE, probe.stalenessNanos());
    assertThrows(ExecutionException.class, () -> read.get(2, TimeUnit.SECONDS));
  }
}
