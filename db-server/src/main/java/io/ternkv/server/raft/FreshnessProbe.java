package io.ternkv.server.raft;

import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * How fresh a follower's state is known to be, for STALE reads with a staleness bound.
 *
 * <p>A probe notes the local time T0, then asks the leader for a read index (Ratis's ReadIndex)
 * and completes once this node has applied up to it. Every write
 * acknowledged before T0 is at or below that index, so from then on the local state is at most
 * {@code now - T0} behind the cluster. Nothing weaker will do: time since the last heartbeat says
 * nothing when heartbeats arrive but entries do not, and a follower that cannot reach the leader
 * restarts its own heartbeat clock with every failed election.
 *
 * <p>Probes run every {@link #INTERVAL_NANOS} while bounded reads were asked of this node within
 * {@link #DEMAND_NANOS}; a read that finds no fresh enough probe starts one and waits for it.
 *
 * <p>Threading: thread-safe; waiters complete on {@code completions}.
 */
final class FreshnessProbe {
  static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  static final long DEMAND_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** A probe not answered by then no longer holds back the next one. */
  static final long PROBE_PATIENCE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  static final int MAX_IN_FLIGHT = 8;
  private static final long NEVER = Long.MIN_VALUE;

  private final Supplier<CompletableFuture<?>> readIndex;
  private final Executor completions;
  private final AtomicLong freshAsOf = new AtomicLong(NEVER);
  private final AtomicLong lastDemand = new AtomicLong(NEVER);
  private final AtomicLong lastStart = new AtomicLong(NEVER);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Queue<Waiter> waiters = new ConcurrentLinkedQueue<>();

  private record Waiter(long maxNanos, CompletableFuture<Void> done) {}

  /**
   * @param readIndex starts a read-index round; its future completes once this node applied up to
   *     the index it got, and fails when none can be had
   */
  FreshnessProbe(
      Supplier<CompletableFuture<?>> readIndex,
      ScheduledExecutorService timer,
      Executor completions) {
    this.readIndex = readIndex;
    this.completions = completions;
    timer.scheduleWithFixedDelay(
        this::tick, INTERVAL_NANOS, INTERVAL_NANOS, TimeUnit.NANOSECONDS);
  }

  /** Upper bound of how far behind the cluster the local state is; Long.MAX_VALUE if unknown. */
  long stalenessNanos() {
    long asOf = freshAsOf.get();
    return asOf == NEVER ? Long.MAX_VALUE : Math.max(0, System.nanoTime() - asOf);
  }

  /**
   * Completes once the local state is at most {@code maxNanos} behind the cluster (at once if it
   * already is); fails with a {@link TimeoutException} after {@code waitNanos}.
   */
  CompletableFuture<Void> awaitFresh(long maxNanos, long waitNanos) {
    lastDemand.set(System.nanoTime());
    if (stalenessNanos() <= maxNanos) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    Waiter w = new Waiter(maxNanos, done);
    waiters.add(w);
    done.whenComplete((v, e) -> waiters.remove(w));
    // A probe may have landed between the check and the enqueue.
    if (stalenessNanos() <= maxNanos) {
      completions.execute(() -> done.complete(null));
      return done;
    }
    maybeStart(true);
    return done.orTimeout(waitNanos, TimeUnit.NANOSECONDS);
  }

  private void tick() {
    try {
      long demand = lastDemand.get();
      if (demand != NEVER && System.nanoTime() - demand <= DEMAND_NANOS) {
        maybeStart(false);
      }
    } catch (RuntimeException e) {
      // Closed or not started: the next tick tries again.
    }
  }

  private void maybeStart(boolean wanted) {
    long now = System.nanoTime();
    long started = lastStart.get();
    int running = inFlight.get();
    boolean due =
        running == 0
            ? wanted || started == NEVER || now - started >= INTERVAL_NANOS
            : running < MAX_IN_FLIGHT && now - started >= PROBE_PATIENCE_NANOS;
    if (!due || !lastStart.compareAndSet(started, now)) {
      return;
    }
    inFlight.incrementAndGet();
    long t0 = System.nanoTime();
    CompletableFuture<?> probe;
    try {
      probe = readIndex.get();
    } catch (RuntimeException e) {
      inFlight.decrementAndGet();
      return;
    }
    probe.whenComplete(
        (v, error) -> {
          inFlight.decrementAndGet();
          if (error == null) {
            freshAsOf.accumulateAndGet(t0, (a, b) -> a == NEVER ? b : Math.max(a, b));
            release();
          }
        });
  }

  private void release() {
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (stalenessNanos() <= w.maxNanos()) {
        it.remove();
        completions.execute(() -> w.done().complete(null));
      }
    }
  }
}
