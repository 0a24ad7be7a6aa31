package io.ternkv.client;

/** How fresh a read must be, per request. The README's consistency table compares them. */
public enum ReadConsistency {
  /** The leader confirms its leadership with a majority before answering. The default. */
  LINEARIZABLE,
  /**
   * The leader answers locally while it holds a lease (a majority acknowledged it recently);
   * otherwise as LINEARIZABLE. Linearizable while server clocks run at nearly the same rate.
   */
  LEASE,
  /**
   * Any node answers once it has applied everything this client has seen: read-your-writes and
   * monotonic reads for this {@link TernClient}.
   */
  SESSION,
  /** Any node answers from local state: may be stale, never torn. */
  STALE,
  /** The read goes through the Raft log like a write: linearizable, the slow reference point. */
  LOG
}
