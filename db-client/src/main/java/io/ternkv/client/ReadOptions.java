package io.ternkv.client;

import java.time.Duration;
import java.util.Objects;

/**
 * How one read is served: its consistency level, for STALE how stale it may be, and optionally a
 * past revision to read at. Immutable.
 *
 * @param consistency the level
 * @param maxStaleness for STALE: a node that may be further behind the leader refuses (and the
 *     client tries another node); {@link Duration#ZERO} means no bound
 * @param revision read the data as it was at this revision; 0 reads the newest. A revision below
 *     the compacted one, or above the current one, fails with {@link RevisionOutOfRangeException}.
 *     Not allowed with {@link ReadConsistency#LOG}.
 */
public record ReadOptions(ReadConsistency consistency, Duration maxStaleness, long revision) {
  /** Validates the fields. */
  public ReadOptions {
    Objects.requireNonNull(consistency, "consistency");
    Objects.requireNonNull(maxStaleness, "maxStaleness");
    if (maxStaleness.isNegative()) {
      throw new IllegalArgumentException("maxStaleness must not be negative");
    }
    if (revision < 0) {
      throw new IllegalArgumentException("revision must not be negative");
    }
  }

  /** Options reading the newest data. */
  public ReadOptions(ReadConsistency consistency, Duration maxStaleness) {
    this(consistency, maxStaleness, 0);
  }

  /** Options for a level, with no staleness bound. */
  public static ReadOptions of(ReadConsistency consistency) {
    return new ReadOptions(consistency, Duration.ZERO);
  }

  /** A STALE read from a node at most {@code maxStaleness} behind the leader. */
  public static ReadOptions stale(Duration maxStaleness) {
    return new ReadOptions(ReadConsistency.STALE, maxStaleness);
  }

  /** A linearizable read of the data as it was at {@code revision}. */
  public static ReadOptions atRevision(long revision) {
    return new ReadOptions(ReadConsistency.LINEARIZABLE, Duration.ZERO, revision);
  }

  /** These options, reading at {@code revision} (0: the newest). */
  public ReadOptions withRevision(long revision) {
    return new ReadOptions(consistency, maxStaleness, revision);
  }
}
