package io.ternkv.client;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the leader knows of a lease.
 *
 * @param id the lease asked about
 * @param remaining time left before it expires without a keep-alive; empty when it no longer
 *     exists (expired or revoked)
 * @param granted the TTL it was granted with (zero when it no longer exists)
 * @param keys the keys attached to it, when asked for (unmodifiable; copies)
 */
public record LeaseInfo(long id, Optional<Duration> remaining, Duration granted, List<byte[]> keys) {
  /** Copies the list so the record is immutable. */
  public LeaseInfo {
    keys = List.copyOf(keys);
  }
}
