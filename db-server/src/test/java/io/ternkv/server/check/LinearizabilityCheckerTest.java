package io.ternkv.server.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.server.check.Op.Kind;
import io.ternkv.server.check.Op.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {
  private final List<Op> h = new ArrayList<>();

  private void put(int p, String k, String v, long from, long to) {
    h.add(new Op(h.size(), p, Kind.PUT, k, v, null, null, false, Outcome.OK, from, to));
  }

  private void putUnknown(int p, String k, String v, long from) {
    h.add(new Op(h.size(), p, Kind.PUT, k, v, null, null, false, Outcome.UNKNOWN, from, Long.MAX_VALUE));
  }

  private void putFailed(int p, String k, String v, long from, long to) {
    h.add(new Op(h.size(), p, Kind.PUT, k, v, null, null, false, Outcome.FAILED, from, to));
  }

  private void get(int p, String k, String seen, long from, long to) {
    h.add(new Op(h.size(), p, Kind.GET, k, null, null, seen, false, Outcome.OK, from, to));
  }

  private void del(int p, String k, long from, long to) {
    h.add(new Op(h.size(), p, Kind.DELETE, k, null, null, null, false, Outcome.OK, from, to));
  }

  private void cas(int p, String k, String expect, String v, boolean applied, long from, long to) {
    h.add(new Op(h.size(), p, Kind.CAS, k, v, expect, null, applied, Outcome.OK, from, to));
  }

  @Test
  void sequentialHistoryPasses() {
    put(0, "k", "1", 0, 10);
    get(0, "k", "1", 20, 30);
    cas(0, "k", "1", "2", true, 40, 50);
    cas(0, "k", "1", "3", false, 60, 70);
    get(0, "k", "2", 80, 90);
    del(0, "k", 100, 110);
    get(0, "k", null, 120, 130);
    assertTrue(LinearizabilityChecker.check(h).linearizable());
  }

  @Test
  void concurrentReadMaySeeEitherValue() {
    put(0, "k", "1", 0, 10);
    put(1, "k", "2", 20, 60);
    get(2, "k", "1", 30, 40); // before the write took effect
    get(3, "k", "2", 35, 45); // after it: fine, the write is concurrent with both
    assertTrue(LinearizabilityChecker.check(h).linearizable());
  }

  @Test
  void unknownWriteMayOrMayNotHaveHappened() {
    put(0, "k", "1", 0, 10);
    putUnknown(1, "k", "2", 20);
    get(2, "k", "1", 30, 40);
    get(2, "k", "2", 50, 60);
    assertTrue(LinearizabilityChecker.check(h).linearizable());
    h.clear();
    put(0, "k", "1", 0, 10);
    putUnknown(1, "k", "2", 20);
    get(2, "k", "1", 30, 40);
    assertTrue(LinearizabilityChecker.check(h).linearizable(), "never applied is allowed too");
  }

  @Test
  void staleReadAfterAcknowledgedWriteIsRejected() {
    put(0, "k", "old", 0, 10);
    put(0, "k", "new", 20, 30);
    get(1, "k", "old", 40, 50);
    LinearizabilityChecker.Result r = LinearizabilityChecker.check(h);
    assertFalse(r.linearizable());
    assertEquals("k", r.key());
    assertTrue(r.explanation().contains("get k -> old"), r.explanation());
  }

  @Test
  void lostWriteIsRejected() {
    put(0, "k", "1", 0, 10);
    put(1, "k", "2", 20, 30);
    get(2, "k", "1", 40, 50);
    get(2, "k", "1", 60, 70);
    assertFalse(LinearizabilityChecker.check(h).linearizable());
  }

  @Test
  void readOfNeverWrittenValueIsRejected() {
    put(0, "k", "1", 0, 10);
    putFailed(1, "k", "ghost", 5, 15);
    get(2, "k", "ghost", 20, 30);
    LinearizabilityChecker.Result r = LinearizabilityChecker.check(h);
    assertFalse(r.linearizable());
    assertTrue(r.explanation().contains("ghost"), r.explanation());
  }

  @Test
  void casThatClaimsSuccessOnWrongValueIsRejected() {
    put(0, "k", "1", 0, 10);
    cas(1, "k", "9", "2", true, 20, 30);
    assertFalse(LinearizabilityChecker.check(h).linearizable());
  }

  @Test
  void keysAreCheckedIndependently() {
    put(0, "a", "1", 0, 10);
    put(0, "b", "x", 0, 10);
    get(1, "a", "1", 20, 30);
    get(1, "b", "y", 20, 30);
    LinearizabilityChecker.Result r = LinearizabilityChecker.check(h);
    assertFalse(r.linearizable());
    assertEquals("b", r.key());
  }

  @Test
  void largeConcurrentLinearizableHistoryChecksQuickly() {
    // A simulated register with real overlaps: each op takes effect at a random instant inside
    // its interval, so the history is linearizable by construction.
    Random random = new Random(7);
    String state = null;
    long time = 0;
    List<long[]> effects = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      long invoke = time + random.nextInt(5);
      long effect = invoke + 1 + random.nextInt(20);
      long complete = effect + 1 + random.nextInt(20);
      effects.add(new long[] {effect, invoke, complete, i});
      time += 3;
    }
    effects.sort((a, b) -> Long.compare(a[0], b[0]));
    for (long[] e : effects) {
      int p = (int) (e[3] % 8);
      if (e[3] % 3 == 0) {
        state = "v" + e[3];
        put(p, "k", state, e[1], e[2]);
      } else {
        get(p, "k", state, e[1], e[2]);
      }
    }
    assertTrue(LinearizabilityChecker.check(h).linearizable());
  }
}
