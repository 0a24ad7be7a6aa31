package io.ternkv.server.raft;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Proof, for a {@code LINEARIZABLE} read on the leader, that this node still led at some moment
 * after the read arrived, and that its state covers every write acknowledged before then.
 *
 * <p>Ratis's ReadIndex is not that proof: it answers at once, without a heartbeat round, when its
 * commit index was already acknowledged by a majority, and a leader cut off from the majority
 * keeps its commit index until it steps down, while a new leader may already acknowledge writes.
 * Here a read that arrived at {@code t} waits for a round started no earlier than {@code t}. A
 * round either asks the other voters for their terms (a majority still in this leader's term, and
 * this node then applied up to the commit index it read at the start: see {@code
 * RaftNode.confirmLeadership}) or appends a no-op entry and waits for it to commit and apply (a
 * majority accepted an AppendEntries of this term sent after {@code t}). Writes appended after
 * {@code t} give the same proof for free. One round serves every read that arrived before it
 * started; at most {@code maxRounds} run at once.
 *
 * <p>Threading: thread-safe; futures complete on the thread reporting the round's end.
 */
final class LeaderConfirmations {
  private record Waiter(long arrivedNanos, CompletableFuture<Void> future) {}

  private final Supplier<CompletableFuture<?>> noop;
  private final List<Waiter> waiters = new ArrayList<>();
  private long confirmedNanos = Long.MIN_VALUE;
  private final int maxRounds;

  private int noopsInFlight;
  private boolean noopStarted;
  private long lastNoopStartNanos;
  /** Arrival of the newest read that waited (it may since have been confirmed by a write). */
  private long newestArrivalNanos;

  /**
   * @param noop starts a round; its future completes once the round proves leadership as of its
   *     start (taken before the call), fails when it cannot (not leader, no majority)
   * @param maxRounds rounds that may run at once (at least 1)
   */
  LeaderConfirmations(Supplier<CompletableFuture<?>> noop, int maxRounds) {
    this.noop = noop;
    this.maxRounds = maxRounds;
  }

  /**
   * Completes once a round started no earlier than {@code arrivedNanos} (or a write appended no
   * earlier) has proved leadership; fails when the round started for it fails (not leader, no
   * majority).
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

  /**
   * Completes once {@code needed} of {@code answers} are {@code term}; fails as soon as that can
   * no longer happen (answers that failed or told another term).
   */
  static CompletableFuture<Void> inTerm(
      List<CompletableFuture<Long>> answers, int needed, long term) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (needed <= 0) {
      done.complete(null);
      return done;
    }
    if (needed > answers.size()) {
      done.completeExceptionally(
          new IllegalStateException(
              "only " + answers.size() + " voters to ask, " + needed + " needed"));
      return done;
    }
    java.util.concurrent.atomic.AtomicInteger yes = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger no = new java.util.concurrent.atomic.AtomicInteger();
    int allowedNo = answers.size() - needed;
    for (CompletableFuture<Long> a : answers) {
      a.whenComplete(
          (t, error) -> {
            if (error == null && t == term) {
              if (yes.incrementAndGet() == needed) {
                done.complete(null);
              }
            } else if (no.incrementAndGet() == allowedNo + 1) {
              done.completeExceptionally(
                  error != null
                      ? error
                      : new IllegalStateException(
                          "a voter is in term " + t + ", this leader in " + term));
            }
          });
    }
    return done;
  }

  /** Waiters still unconfirmed (tests). */
  synchronized int waiting() {
    return waiters.size();
  }

  private void startNoopIfNeeded() {
    long start;
    synchronized (this) {
      if (noopsInFlight >= maxRounds || !hasUncoveredWaiter()) {
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
