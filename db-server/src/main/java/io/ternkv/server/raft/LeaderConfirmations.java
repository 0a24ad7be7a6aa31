package io.ternkv.server.raft;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Proof, for a {@code LINEARIZABLE} read on the leader, that this node still led at some moment
 * after the read arrived.
 *
 * <p>Ratis's ReadIndex is not that proof: it answers at once, without a heartbeat round, when its
 * commit index was already acknowledged by a majority, and a leader cut off from the majority
 * keeps its commit index until it steps down, while a new leader may already acknowledge writes.
 * Here a read that arrived at {@code t} waits until an entry this leader appended no earlier than
 * {@code t} has committed: a majority then accepted an AppendEntries of this term sent after
 * {@code t}, so no other leader acknowledged anything before {@code t}, and the commit index is at
 * least every index acknowledged before {@code t}. Writes give that proof for free; otherwise a
 * no-op entry is appended for the reads that arrived since the last one was started (at most
 * {@link #MAX_NOOPS_IN_FLIGHT} in flight; under load the write batcher coalesces them with other
 * writes).
 *
 * <p>Threading: thread-safe; futures complete on the thread reporting the commit.
 */
final class LeaderConfirmations {
  private record Waiter(long arrivedNanos, CompletableFuture<Void> future) {}

  private final Supplier<CompletableFuture<?>> noop;
  private final List<Waiter> waiters = new ArrayList<>();
  private long confirmedNanos = Long.MIN_VALUE;
  static final int MAX_NOOPS_IN_FLIGHT = 4;

  private int noopsInFlight;
  private boolean noopStarted;
  private long lastNoopStartNanos;
  /** Arrival of the newest read that waited (it may since have been confirmed by a write). */
  private long newestArrivalNanos;

  /** @param noop appends a no-op entry; completes once committed (its start is taken before). */
  LeaderConfirmations(Supplier<CompletableFuture<?>> noop) {
    this.noop = noop;
  }

  /**
   * Completes once an entry appended no earlier than {@code arrivedNanos} has committed; fails
   * when the no-op appended for it fails (not leader, no majority).
   */
  CompletableFuture<Void> after(long arrivedNanos) {
    CompletableFuture<Void> future = new CompletableFuture<>();
    synchronized (this) {
      if (confirmedNanos - arrivedNanos >= 0 && confirmedNanos != Long.MIN_VALUE) {
        future.complete(null);
        return future;
      }
      waiters.add(new Waiter(arrivedNanos, future));
      if (waiters.size() == 1 || arrivedNanos - newestArrivalNanos > 0) {
        newestArrivalNanos = arrivedNanos;
      }
    }
    startNoopIfNeeded();
    return future;
  }

  /** Records that an entry appended no earlier than {@code startNanos} committed. */
  void confirmed(long startNanos) {
    List<CompletableFuture<Void>> done = new ArrayList<>();
    synchronized (this) {
      if (confirmedNanos == Long.MIN_VALUE || startNanos - confirmedNanos > 0) {
        confirmedNanos = startNanos;
      }
      for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
        Waiter w = it.next();
        if (startNanos - w.arrivedNanos >= 0) {
          done.add(w.future);
          it.remove();
        }
      }
    }
    done.forEach(f -> f.complete(null));
  }

  /** Waiters still unconfirmed (tests). */
  synchronized int waiting() {
    return waiters.size();
  }

  private void startNoopIfNeeded() {
    long start;
    synchronized (this) {
      if (noopsInFlight >= MAX_NOOPS_IN_FLIGHT || !hasUncoveredWaiter()) {
        return;
      }
      noopsInFlight++;
      start = System.nanoTime();
      noopStarted = true;
      lastNoopStartNanos = start;
    }
    CompletableFuture<?> sent;
    try {
      sent = noop.get();
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    sent.whenComplete(
        (ok, error) -> {
          List<CompletableFuture<Void>> failed = new ArrayList<>();
          synchronized (this) {
            noopsInFlight--;
            if (error != null) {
              // Fail the reads this no-op was meant to confirm; later ones get their own.
              for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (start - w.arrivedNanos >= 0) {
                  failed.add(w.future);
                  it.remove();
                }
              }
            }
          }
          if (error == null) {
            confirmed(start);
          }
          Throwable cause =
              error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                  ? error.getCause()
                  : error;
          failed.forEach(f -> f.completeExceptionally(cause));
          startNoopIfNeeded();
        });
  }

  /**
   * Whether a waiting read arrived after the last no-op started (or none started yet). At worst
   * one no-op too many, when the newest waiter was confirmed by a write meanwhile.
   */
  private boolean hasUncoveredWaiter() {
    return !waiters.isEmpty() && (!noopStarted || newestArrivalNanos - lastNoopStartNanos > 0);
  }

}
