package io.ternkv.server.raft;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Outcomes of recently applied client writes, by client id and call sequence: what lets a leader
 * answer a retried write without appending it again, also when the original was coalesced into a
 * batch entry (where Ratis's retry cache, keyed by the entry's own client and call id, cannot see
 * it) or went through an earlier leader.
 *
 * <p>Every node fills it as it applies the log, so a new leader knows the writes of the old one:
 * Ratis lets a leader accept writes only once it has applied every entry of earlier terms (its
 * start-up entry applied), and {@link WriteBatcher} checks for a retry only on such a leader.
 * Outcomes are kept for {@link #RETENTION} (as long as Ratis keeps its own retry cache entries),
 * in memory: a node restarted, or one that installed a snapshot, does not know the writes its
 * store already held when it started.
 *
 * <p>Threading: {@link #record} from the apply thread only; {@link #find} from any thread.
 */
final class RecentWrites {
  /** How long an outcome is kept after it was applied. */
  static final long RETENTION_NANOS = TimeUnit.SECONDS.toNanos(60);

  /** A client's write: its 16-byte id as two longs, and its call sequence. */
  record Id(long high, long low, long sequence) {
    static Id of(byte[] clientId, long sequence) {
      ByteBuffer b = ByteBuffer.wrap(clientId);
      return new Id(b.getLong(), b.getLong(), sequence);
    }

    /** Null unless {@code clientId} holds 16 bytes (an anonymous write has none). */
    static Id of(ByteBuffer clientId, long sequence) {
      if (clientId.remaining() != 16) {
        return null;
      }
      return new Id(clientId.getLong(), clientId.getLong(), sequence);
    }
  }

  private record Recorded(Id id, long nanos) {}

  private final ConcurrentHashMap<Id, WriteOutcome> outcomes = new ConcurrentHashMap<>();
  /** Apply-thread only: recorded ids, oldest first. */
  private final ArrayDeque<Recorded> order = new ArrayDeque<>();
  private final long retentionNanos;

  RecentWrites() {
    this(RETENTION_NANOS);
  }

  RecentWrites(long retentionNanos) {
    this.retentionNanos = retentionNanos;
  }

  /** Remembers an applied write's outcome and forgets those older than the retention. */
  void record(Id id, WriteOutcome outcome) {
    long now = System.nanoTime();
    outcomes.put(id, outcome);
    order.addLast(new Recorded(id, now));
    for (Recorded oldest = order.peekFirst();
        oldest != null && now - oldest.nanos() > retentionNanos;
        oldest = order.peekFirst()) {
      order.removeFirst();
      outcomes.remove(oldest.id());
    }
  }

  /** The outcome of the write with this id, if it was applied here within the retention. */
  WriteOutcome find(Id id) {
    return outcomes.get(id);
  }

  /** Number of outcomes held. */
  int size() {
    return outcomes.size();
  }
}
