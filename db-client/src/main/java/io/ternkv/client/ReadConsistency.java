package io.ternkv.client;

/** How fresh a read must be, per request. The README's consistency table compares them. */
public enum ReadConsistency {
  /**
   * The leader confirms its leadership with a majority after the read arrived, then answers from
   * state that covers every write acknowledged before the read: the other voters are asked which
   * Raft term they are in, and a majority still in the leader's term shows no other leader was
   * elected before the read (should they not answer, an entry appended since the read commits
   * instead). One round serves every read waiting for it. Linearizable without assumptions about
   * clocks, at about the cost of one round trip to the nearest follower. The default.
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
