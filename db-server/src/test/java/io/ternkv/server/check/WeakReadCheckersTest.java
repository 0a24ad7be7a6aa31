package io.ternkv.server.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.server.check.Op.Kind;
import io.ternkv.server.check.Op.Level;
import io.ternkv.server.check.Op.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SessionChecker} and {@link StaleReadChecker} pass known-good histories and catch bugs. */
class WeakReadCheckersTest {
  static final long MS = 1_000_000;
  private final List<Op> h = new ArrayList<>();

  private void put(int p, String k, String v, long from, long to, long rev) {
    h.add(new Op(h.size(), p, Kind.PUT, k, v, null, null, false, Outcome.OK, from, to, Level.STRONG, 0, rev));
  }

  private void putFailed(int p, String k, String v, long from, long to) {
    h.add(new Op(h.size(), p, Kind.PUT, k, v, null, null, false, Outcome.FAILED, from, to));
  }

  private void del(int p, String k, long from, long to, long rev) {
    h.add(new Op(h.size(), p, Kind.DELETE, k, null, null, null, false, Outcome.OK, from, to, Level.STRONG, 0, rev));
  }

  private void read(int p, Level level, long bound, String k, String seen, long from, long to, long rev) {
    h.add(new Op(h.size(), p, Kind.GET, k, null, null, seen, false, Outcome.OK, from, to, level, bound, rev));
  }

  private static void assertPasses(List<String> violations) {
    assertEquals(List.of(), violations);
  }

  private static void assertCaught(List<String> violations, String containing) {
    violations.forEach(System.out::println);
    assertTrue(violations.stream().anyMatch(v -> v.contains(containing)), violations.toString());
  }

  @Test
  void sessionHistoryWithOtherClientsLaggingPasses() {
    put(0, "k", "a", 0, 10, 5);
    read(0, Level.SESSION, 0, "k", "a", 20, 30, 5); // own write
    put(1, "k", "b", 40, 50, 6);
    read(0, Level.SESSION, 0, "k", "a", 60, 70, 5); // not yet b: allowed, never saw b
    read(0, Level.SESSION, 0, "k", "b", 80, 90, 6);
    read(2, Level.SESSION, 0, "k", null, 95, 99, 0); // another client that saw nothing: any age
    del(1, "k", 100, 110, 7);
    read(0, Level.SESSION, 0, "k", null, 120, 130, 0); // a delete after revision 6 explains it
    assertPasses(SessionChecker.check(h));
  }

  @Test
  void sessionReadGoingBackIsCaught() {
    put(0, "k", "a", 0, 10, 5);
    put(1, "k", "b", 20, 30, 6);
    read(0, Level.STRONG, 0, "k", "b", 40, 50, 6);
    read(0, Level.SESSION, 0, "k", "a", 60, 70, 5);
    assertCaught(SessionChecker.check(h), "returned revision 5 after the session read revision 6");
  }

  @Test
  void sessionReadMissingOwnWriteIsCaught() {
    put(1, "k", "a", 0, 10, 5);
    put(0, "k", "mine", 20, 30, 6);
    read(0, Level.SESSION, 0, "k", "a", 40, 50, 5);
    assertCaught(SessionChecker.check(h), "read-your-writes");
  }

  @Test
  void sessionReadOfAbsentKeyAfterOwnWriteIsCaught() {
    put(0, "k", "mine", 20, 30, 6);
    read(0, Level.SESSION, 0, "k", null, 40, 50, 0);
    assertCaught(SessionChecker.check(h), "no delete explains it");
  }

  @Test
  void sessionReadOfAFailedWriteIsCaught() {
    putFailed(1, "k", "never", 0, 10);
    read(0, Level.SESSION, 0, "k", "never", 20, 30, 9);
    assertCaught(SessionChecker.check(h), "never written");
  }

  @Test
  void staleReadWithinItsBoundPasses() {
    put(0, "k", "a", 0, 10 * MS, 5);
    put(1, "k", "b", 100 * MS, 110 * MS, 6);
    // Bound 1 s: at 500 ms, "a" was current 110 ms ago, inside the bound.
    read(2, Level.STALE, 1000 * MS, "k", "a", 500 * MS, 510 * MS, 5);
    // Unbounded: any written value will do.
    read(2, Level.STALE, 0, "k", "a", 5000 * MS, 5010 * MS, 5);
    del(1, "k", 6000 * MS, 6010 * MS, 7);
    read(3, Level.STALE, 1000 * MS, "k", "b", 6500 * MS, 6510 * MS, 6);
    read(3, Level.STALE, 1000 * MS, "k", null, 9000 * MS, 9010 * MS, 0);
    assertPasses(StaleReadChecker.check(h, 0));
  }

  @Test
  void staleReadOlderThanItsBoundIsCaught() {
    put(0, "k", "a", 0, 10 * MS, 5);
    put(1, "k", "b", 100 * MS, 110 * MS, 6);
    read(2, Level.STALE, 1000 * MS, "k", "a", 3000 * MS, 3010 * MS, 5);
    assertCaught(StaleReadChecker.check(h, 50 * MS), "older than its bound");
  }

  @Test
  void staleAbsentReadOlderThanItsBoundIsCaught() {
    put(0, "k", "a", 0, 10 * MS, 5);
    read(2, Level.STALE, 1000 * MS, "k", null, 3000 * MS, 3010 * MS, 0);
    assertCaught(StaleReadChecker.check(h, 50 * MS), "no delete came after it");
  }

  @Test
  void staleReadOfAValueNeverWrittenIsCaught() {
    putFailed(0, "k", "failed", 0, 10);
    read(2, Level.STALE, 0, "k", "failed", 30, 40, 3);
    read(2, Level.STALE, 0, "k", "invented", 50, 60, 4);
    List<String> v = StaleReadChecker.check(h, 0);
    assertCaught(v, "never written");
    assertEquals(2, v.size(), v.toString());
  }

  @Test
  void weakReadsStayOutOfTheLinearizabilityCheck() {
    put(0, "k", "a", 0, 10, 5);
    put(1, "k", "b", 20, 30, 6);
    read(2, Level.STALE, 0, "k", "a", 40, 50, 5);
    assertTrue(LinearizabilityChecker.check(h).linearizable());
  }
}
