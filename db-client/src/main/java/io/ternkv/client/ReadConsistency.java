package io.ternkv.client;

/** How fresh a read must be, per request. The README's consistency table compares them. */
public enum ReadConsistency {
  /**
   * The leader confirms its leadership with a majority after the read arrived (an entry it
   * appended since then commits; a write in flight does, else a no-op shared by waiting reads)
   * before answering: linearizable without assumptions about clocks, at about the cost of a write
   * when the cluster is otherwise idle. The default.
   */
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
