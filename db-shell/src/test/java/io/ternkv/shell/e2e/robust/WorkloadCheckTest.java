package io.ternkv.shell.e2e.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernException;
import io.ternkv.server.check.LinearizabilityChecker;
import io.ternkv.server.check.Op;
import io.ternkv.server.check.SessionChecker;
import io.ternkv.server.check.StaleReadChecker;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * The workload and the checker together, against in-memory stand-ins for the database: a correct
 * register passes (also when writes time out after or before taking effect), and each planted bug
 * that a fault scenario is meant to catch makes the same pipeline fail. Without this, a scenario
 * that never fails would prove nothing.
 */
class WorkloadCheckTest {
  /** An atomic register per key, with planted bugs switched on by flags. */
  static final class FakeDb {
    final Map<String, KvOps.Versioned> primary = new HashMap<>();
    final Map<String, KvOps.Versioned> replica = new HashMap<>();
    /** A copy that stops catching up after the first writes. */
    final Map<String, KvOps.Versioned> frozen = new HashMap<>();
    boolean staleLeaseReads;
    boolean loseSomeAcknowledgedWrites;
    boolean timeOutSomeWrites;
    boolean casIgnoresCompare;
    boolean sessionReadsFromALaggingReplica;
    boolean staleReadsFromAFrozenReplica;
    private long writes;
    private long revision;

    synchronized long put(String k, String v) {
      writes++;
      revision++;
      if (loseSomeAcknowledgedWrites && writes % 50 == 0) {
        return revision; // acknowledged, never applied
      }
      primary.put(k, new KvOps.Versioned(v, revision));
      if (writes % 5 == 0) {
        replica.clear();
        replica.putAll(primary); // the replica catches up now and then
      }
      if (writes < 20) {
        frozen.clear();
        frozen.putAll(primary);
      }
      return revision;
    }

    synchronized long delete(String k) {
      writes++;
      revision++;
      primary.remove(k);
      return revision;
    }

    synchronized Optional<String> get(String k, boolean lease) {
      return read(k, lease && staleLeaseReads ? replica : primary).map(KvOps.Versioned::value);
    }

    synchronized Optional<KvOps.Versioned> read(String k, ReadConsistency level) {
      Map<String, KvOps.Versioned> from = primary;
      if (level == ReadConsistency.LEASE && staleLeaseReads
          || level == ReadConsistency.SESSION && sessionReadsFromALaggingReplica) {
        from = replica;
      } else if (level == ReadConsistency.STALE && staleReadsFromAFrozenReplica) {
        from = frozen;
      }
      return read(k, from);
    }

    private static Optional<KvOps.Versioned> read(String k, Map<String, KvOps.Versioned> from) {
      return Optional.ofNullable(from.get(k));
    }

    synchronized long cas(String k, String expected, String v) {
      KvOps.Versioned now = primary.get(k);
      if (casIgnoresCompare || Objects.equals(now == null ? null : now.value(), expected)) {
        return put(k, v);
      }
      return -1;
    }
  }

  static KvOps client(FakeDb db) {
    return new KvOps() {
      private void maybeTimeOut(boolean applied) {
        if (db.timeOutSomeWrites && ThreadLocalRandom.current().nextInt(10) == 0) {
          throw new TernException(ErrorCode.TIMEOUT, applied ? "timed out after apply" : "timed out", null);
        }
      }

      private void pause() {
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public long put(String key, String value) {
        pause();
        boolean before = db.timeOutSomeWrites && ThreadLocalRandom.current().nextBoolean();
        if (before) {
          maybeTimeOut(false);
        }
        long revision = db.put(key, value);
        maybeTimeOut(true);
        return revision;
      }

      @Override
      public long delete(String key) {
        pause();
        long revision = db.delete(key);
        maybeTimeOut(true);
        return revision;
      }

      @Override
      public Optional<String> get(String key, ReadConsistency level) {
        pause();
        return db.get(key, level == ReadConsistency.LEASE);
      }

      @Override
      public Cas compareAndSet(String key, String expected, String value) {
        pause();
        long revision = db.cas(key, expected, value);
        maybeTimeOut(revision >= 0);
        return new Cas(revision >= 0, Math.max(revision, 0));
      }

      @Override
      public Optional<Versioned> read(String key, ReadConsistency level, Duration maxStaleness) {
        pause();
        return db.read(key, level);
      }

      @Override
      public void close() {}
    };
  }

  private static LinearizabilityChecker.Result run(FakeDb db) throws InterruptedException {
    return LinearizabilityChecker.check(history(db, null));
  }

  private static List<Op> history(FakeDb db, Duration staleBound) throws InterruptedException {
    Workload w = new Workload(List.of("a", "b"), 4, 1, p -> client(db));
    if (staleBound != null) {
      w.withWeakReads(staleBound);
    }
    w.start();
    Thread.sleep(700);
    List<Op> ops = w.stop();
    assertTrue(ops.size() > 200, Evidence.summary(ops));
    return ops;
  }

  @Test
  void correctRegisterPassesWithSessionAndStaleReads() throws Exception {
    FakeDb db = new FakeDb();
    db.timeOutSomeWrites = true;
    List<Op> ops = history(db, Duration.ofMillis(50));
    assertTrue(LinearizabilityChecker.check(ops).linearizable());
    assertEquals(List.of(), SessionChecker.check(ops));
    assertEquals(List.of(), StaleReadChecker.check(ops, 0));
  }

  @Test
  void sessionReadsFromALaggingReplicaAreCaught() throws Exception {
    FakeDb db = new FakeDb();
    db.sessionReadsFromALaggingReplica = true;
    List<Op> ops = history(db, Duration.ofMillis(50));
    assertTrue(LinearizabilityChecker.check(ops).linearizable(), "SESSION reads are not its business");
    assertFalse(SessionChecker.check(ops).isEmpty());
  }

  @Test
  void staleReadsPastTheirBoundAreCaught() throws Exception {
    FakeDb db = new FakeDb();
    db.staleReadsFromAFrozenReplica = true;
    List<Op> ops = history(db, Duration.ofMillis(50));
    assertEquals(List.of(), StaleReadChecker.check(ops, 0).stream().filter(v -> v.contains("never written")).toList());
    assertFalse(StaleReadChecker.check(ops, 0).isEmpty());
    assertEquals(List.of(), SessionChecker.check(ops));
  }

  @Test
  void correctRegisterPasses() throws Exception {
    assertTrue(run(new FakeDb()).linearizable());
  }

  @Test
  void writesThatTimeOutBeforeOrAfterTakingEffectStillPass() throws Exception {
    FakeDb db = new FakeDb();
    db.timeOutSomeWrites = true;
    LinearizabilityChecker.Result r = run(db);
    assertTrue(r.linearizable(), r::explanation);
  }

  @Test
  void staleLeaseReadsAreCaught() throws Exception {
    FakeDb db = new FakeDb();
    db.staleLeaseReads = true;
    assertFalse(run(db).linearizable());
  }

  @Test
  void lostAcknowledgedWritesAreCaught() throws Exception {
    FakeDb db = new FakeDb();
    db.loseSomeAcknowledgedWrites = true;
    assertFalse(run(db).linearizable());
  }

  @Test
  void compareAndSetThatIgnoresItsCompareIsCaught() throws Exception {
    FakeDb db = new FakeDb();
    db.casIgnoresCompare = true;
    assertFalse(run(db).linearizable());
  }
}
