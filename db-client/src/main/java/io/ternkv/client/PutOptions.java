package io.ternkv.client;

import java.util.Objects;

/**
 * How one put is done. Immutable; start from {@link #defaults()}.
 *
 * @param lease a lease id from {@link TernClient#leaseGrant}, or 0 for none: the key is deleted
 *     when the lease expires or is revoked
 * @param consistency when the put is acknowledged
 * @param returnPrevious whether the answer carries the version the put replaced
 */
public record PutOptions(long lease, WriteConsistency consistency, boolean returnPrevious) {
  /** Validates the fields. */
  public PutOptions {
    Objects.requireNonNull(consistency, "consistency");
    if (lease < 0) {
      throw new IllegalArgumentException("lease must not be negative");
    }
  }

  /** No lease, acknowledged on a majority, no previous version. */
  public static PutOptions defaults() {
    return new PutOptions(0, WriteConsistency.MAJORITY, false);
  }

  /** These options with a lease. */
  public PutOptions withLease(long lease) {
    return new PutOptions(lease, consistency, returnPrevious);
  }

  /** These options acknowledged at another level. */
  public PutOptions withConsistency(WriteConsistency consistency) {
    return new PutOptions(lease, consistency, returnPrevious);
  }

  /** These options, returning the replaced version. */
  public PutOptions withPrevious() {
    return new PutOptions(lease, consistency, true);
  }
}
