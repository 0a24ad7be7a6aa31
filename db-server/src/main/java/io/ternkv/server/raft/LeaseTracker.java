package io.ternkv.server.raft;

/**
 * The leader's read lease for {@code LEASE} reads.
 *
 * <p>Why it is safe: when an entry the leader appended at time {@code t} in term {@code T} is
 * committed, a majority received an AppendEntries sent after {@code t}. Each of those followers
 * refuses pre-votes for another candidate until a minimum election timeout after it last heard
 * from the leader, and the leader refuses while it leads; so no other leader can be elected before
 * {@code t + electionTimeoutMin}. The lease ends earlier, at {@code t + ratio * electionTimeoutMin},
 * which leaves a margin for clocks that run at slightly different rates. Ratis's own lease is
 * server-wide, and would make every linearizable read lease-based; this one is per request.
 *
 * <p>Threading: thread-safe.
 */
final class LeaseTracker {
  private final long leaseNanos;
  private long term = -1;
  private long expiresNanos;

  LeaseTracker(long leaseNanos) {
    this.leaseNanos = leaseNanos;
  }

  /** Records that an entry appended in {@code term} no earlier than {@code startNanos} committed. */
  synchronized void extend(long term, long startNanos) {
    long expires = startNanos + leaseNanos;
    if (term > this.term || (term == this.term && expires - expiresNanos > 0)) {
      this.term = term;
      this.expiresNanos = expires;
    }
  }

  /** Whether the lease is valid now for a leader of {@code currentTerm}. */
  synchronized boolean validFor(long currentTerm) {
    return term == currentTerm && System.nanoTime() - expiresNanos < 0;
  }
}
