package io.ternkv.server.raft;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * Futures that complete once the state machine has applied a given log index, for SESSION reads
 * and WRITE_ALL confirmations. Completed on {@code executor}, never on the apply thread.
 *
 * <p>Threading: thread-safe.
 */
final class AppliedWaiters {
  /**
   * Most distinct indexes waited for at once. A waiter whose call timed out stays until its index
   * is applied, so a client asking for far-away indexes could otherwise grow this map without end.
   */
  static final int MAX_PENDING_INDEXES = 10_000;

  private final ConcurrentNavigableMap<Long, CompletableFuture<Void>> waiting =
      new ConcurrentSkipListMap<>();
  private final LongSupplier applied;
  private final Executor executor;

  AppliedWaiters(LongSupplier applied, Executor executor) {
    this.applied = applied;
    this.executor = executor;
  }

  /**
   * A future completing once the applied index is at least {@code index}. Each caller gets its own
   * copy, so one caller's timeout or cancellation does not affect others waiting for the index.
   */
  CompletableFuture<Void> await(long index) {
    if (applied.getAsLong() >= index) {
      return CompletableFuture.completedFuture(null);
    }
    if (waiting.size() >= MAX_PENDING_INDEXES && !waiting.containsKey(index)) {
      return CompletableFuture.failedFuture(
          new io.ternkv.server.ServerBusyException(
              "too many reads waiting for log indexes this node has not applied yet", null));
    }
    CompletableFuture<Void> f = waiting.computeIfAbsent(index, i -> new CompletableFuture<>());
    // The index may have been applied between the check and the insert.
    if (applied.getAsLong() >= index) {
      release(applied.getAsLong());
    }
    return f.copy();
  }

  /** Completes every waiter at or below {@code appliedIndex}. */
  void release(long appliedIndex) {
    if (waiting.isEmpty() || waiting.firstKey() > appliedIndex) {
      return;
    }
    for (Map.Entry<Long, CompletableFuture<Void>> e :
        waiting.headMap(appliedIndex, true).entrySet()) {
      if (waiting.remove(e.getKey(), e.getValue())) {
        CompletableFuture<Void> due = e.getValue();
        executor.execute(() -> due.complete(null));
      }
    }
  }

  /** Fails every waiter, e.g. when the node closes. */
  void failAll(Throwable cause) {
    for (Map.Entry<Long, CompletableFuture<Void>> e = waiting.pollFirstEntry();
        e != null;
        e = waiting.pollFirstEntry()) {
      e.getValue().completeExceptionally(cause);
    }
  }
}
