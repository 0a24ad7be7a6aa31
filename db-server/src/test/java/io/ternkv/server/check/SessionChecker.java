package io.ternkv.server.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks the SESSION reads of a history against the session guarantees, per process (one client,
 * one session), using store revisions:
 *
 * <ul>
 *   <li>monotonic reads: a SESSION read never returns an older revision of a key than the process
 *       already saw (in any read);
 *   <li>read-your-writes: after the process's acknowledged write of a key, its SESSION reads of
 *       the key return that write or a later one;
 *   <li>a SESSION read never returns a value no put or compare-and-set may have written.
 * </ul>
 *
 * A process is sequential: its operations are taken in invocation order. An absent result after
 * the process saw revision r is accepted only when some delete of the key may explain it (one
 * acknowledged at a revision of at least r, or one of unknown outcome invoked before the read
 * ended). Operations without a known revision raise no floor.
 */
public final class SessionChecker {
  private SessionChecker() {}

  /** The violations found, each naming the read and what it should have seen; empty if none. */
  public static List<String> check(List<Op> history) {
    Set<String> written =
        history.stream().filter(Op::mayHaveWritten).map(Op::value).collect(Collectors.toSet());
    Map<String, List<Op>> deletes = new HashMap<>();
    for (Op op : history) {
      if (op.kind() == Op.Kind.DELETE && op.outcome() != Op.Outcome.FAILED) {
        deletes.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
      }
    }
    Map<Integer, List<Op>> byProcess =
        history.stream().collect(Collectors.groupingBy(Op::process));
    List<String> violations = new ArrayList<>();
    for (List<Op> ops : byProcess.values()) {
      ops.sort(Comparator.comparingLong(Op::invokeNanos));
      Map<String, Op> floor = new HashMap<>(); // key -> op that showed the highest revision
      for (Op op : ops) {
        if (op.outcome() != Op.Outcome.OK) {
          continue;
        }
        Op before = floor.get(op.key());
        long min = before == null ? 0 : before.revision();
        if (op.kind() == Op.Kind.GET && op.level() == Op.Level.SESSION) {
          String why = null;
          if (op.observed() != null && !written.contains(op.observed())) {
            why = "returned a value never written";
          } else if (op.observed() != null && op.revision() > 0 && op.revision() < min) {
            why = "returned revision " + op.revision() + " after the session " + saw(before, op);
          } else if (op.observed() == null && min > 0 && !deleteExplains(deletes.get(op.key()), min, op)) {
            why = "returned absent after the session " + saw(before, op) + ", and no delete explains it";
          }
          if (why != null) {
            violations.add(op.describe() + ": " + why);
          }
        }
        if (op.kind() == Op.Kind.CAS && !op.casApplied()) {
          continue;
        }
        if (op.revision() > min) {
          floor.put(op.key(), op);
        }
      }
    }
    return violations;
  }

  private static String saw(Op before, Op read) {
    String how = before.kind() == Op.Kind.GET ? "read revision " : "wrote revision ";
    return how + before.revision() + " (" + before.describe() + ")"
        + (before.kind() == Op.Kind.GET ? "" : ", read-your-writes");
  }

  private static boolean deleteExplains(List<Op> deletes, long min, Op read) {
    if (deletes == null) {
      return false;
    }
    for (Op d : deletes) {
      if (d.outcome() == Op.Outcome.OK && d.revision() >= min) {
        return true;
      }
      if (d.outcome() == Op.Outcome.UNKNOWN && d.invokeNanos() < read.completeNanos()) {
        return true;
      }
      if (d.outcome() == Op.Outcome.OK && d.revision() == 0) {
        return true; // revision not known: cannot rule it out
      }
    }
    return false;
  }
}
