package io.ternkv.server.raft;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LeaseTrackerTest {
  static final long LEASE = TimeUnit.MILLISECONDS.toNanos(200);

  @Test
  void validOnlyInItsTermAndUntilItExpires() {
    LeaseTracker lease = new LeaseTracker(LEASE);
    assertFalse(lease.validFor(1), "no lease before any commit");
    long now = System.nanoTime();
    lease.extend(1, now);
    assertTrue(lease.validFor(1));
    assertFalse(lease.validFor(2), "a lease never carries over to another term");
    lease.extend(1, now - LEASE - 1);
    assertTrue(lease.validFor(1), "an older start never shortens the lease");
  }

  @Test
  void expiresLeaseDurationAfterTheStartOfTheConfirmingWrite() {
    LeaseTracker stale = new LeaseTracker(LEASE);
    stale.extend(3, System.nanoTime() - LEASE - 1);
    assertFalse(stale.validFor(3), "started more than a lease ago: expired");
  }

  @Test
  void newerTermReplacesTheLease() {
    LeaseTracker lease = new LeaseTracker(LEASE);
    lease.extend(5, System.nanoTime());
    lease.extend(4, System.nanoTime());
    assertTrue(lease.validFor(5));
    assertFalse(lease.validFor(4), "an older term's commit does not bring its lease back");
  }
}
