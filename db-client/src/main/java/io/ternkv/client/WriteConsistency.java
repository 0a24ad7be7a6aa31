package io.ternkv.client;

/** When a write is acknowledged. */
public enum WriteConsistency {
  /** Once durable on a majority and applied on the leader. The default. */
  MAJORITY,
  /**
   * Once every voter has applied it: a STALE read on any voter then sees it. Fails with a
   * retriable error when a voter does not confirm in time; the write is then durable on a
   * majority, and retrying it is safe.
   */
  ALL
}
