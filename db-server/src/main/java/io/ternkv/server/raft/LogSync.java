package io.ternkv.server.raft;

/**
 * How long this node's Raft log takes to reach the disk: Ratis's measurement of each log sync
 * (the fsync a write waits for before it counts towards a majority).
 *
 * @param count syncs since the node started
 * @param p50Seconds median of recent syncs (Ratis keeps a decaying sample weighted to the last
 *     few minutes)
 * @param p99Seconds 99th percentile of recent syncs
 * @param maxSeconds longest recent sync
 */
public record LogSync(long count, double p50Seconds, double p99Seconds, double maxSeconds) {
  /** Before the log has synced anything, or when Ratis does not expose the measurement. */
  public static final LogSync NONE = new LogSync(0, Double.NaN, Double.NaN, Double.NaN);
}
