package io.ternkv.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How one read is served: its consistency level and, for STALE, how stale it may be.
 * Immutable.
 *
 * @param consistency the level
 * @param maxStaleness for STALE: a node that may be further behind the leader refuses (and the
 *     client tries another node); {@link Duration#ZERO} means no bound
 */
public record ReadOptions(ReadConsistency consistency, Duration maxStaleness) {
  /** Validates the fields. */
  public ReadOptions {
    Objects.requireNonNull(consistency, "consistency");
    Objects.requireNonNull(maxStaleness, "maxStaleness");
    if (maxStaleness.isNegative()) {
      throw new IllegalArgumentException("maxStaleness must not be negative");
    }
  }

  /** Options for a level, with no staleness bound. */
  public static ReadOptions of(ReadConsistency consistency) {
    return new ReadOptions(consistency, Duration.ZERO);
  }

  /** A STALE read from a node at most {@code maxStaleness} behind the leader. */
  public static ReadOptions stale(Duration maxStaleness) {
    return new ReadOptions(ReadConsistency.STALE, maxStaleness);
  }
}
