package io.ternkv.shell.e2e.robust;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernException;
import io.ternkv.server.check.LinearizabilityChecker;
import io.ternkv.server.check.Op;
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
    final Map<String, String> primary = new HashMap<>();
    final Map<String, String> replica = new HashMap<>();
    boolean staleLeaseReads;
    boolean loseSomeAcknowledgedWrites;
    boolean timeOutSomeWrites;
    boolean casIgnoresCompare;
    private long writes;

    synchronized void put(String k, String v) {
      writes++;
      if (loseSomeAcknowledgedWrites && writes % 50 == 0) {
        return; // acknowledged, never applied
      }
      primary.put(k, v);
      if (writes % 5 == 0) {
        replica.clear();
        replica.putAll(primary); // the replica catches up now and then
      }
    }

    synchronized void delete(String k) {
      writes++;
      primary.remove(k);
    }

    synchronized Optional<String> get(String k, boolean lease) {
      return Optional.ofNullable(lease && staleLeaseReads ? replica.get(k) : primary.get(k));
    }

    synchronized boolean cas(String k, String expected, String v) {
      if (casIgnoresCompare || Objects.equals(primary.get(k), expected)) {
        put(k, v);
        return true;
      }
      return false;
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
        db.put(key, value);
        maybeTimeOut(true);
        return 0;
      }

      @Override
      public long delete(String key) {
        pause();
        db.delete(key);
        maybeTimeOut(true);
        return 0;
      }

      @Override
      public Optional<String> get(String key, ReadConsistency level) {
        pause();
        return db.get(key, level == ReadConsistency.LEASE);
      }

      @Override
      public Cas compareAndSet(String key, String expected, String value) {
        pause();
        boolean r = db.cas(key, expected, value);
        maybeTimeOut(r);
        return new Cas(r, 0);
      }

      @Override
      public void close() {}
    };
  }

  private static LinearizabilityChecker.Result run(FakeDb db) throws InterruptedException {
    Workload w = new Workload(List.of("a", "b"), 4, 1, p -> client(db));
    w.start();
    Thread.sleep(700);
    List<Op> ops = w.stop();
    assertTrue(ops.size() > 200, Evidence.summary(ops));
    return LinearizabilityChecker.check(ops);
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
