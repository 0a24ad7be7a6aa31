package io.ternkv.server.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the STALE reads of a history against what a stale read promises, using store revisions:
 *
 * <ul>
 *   <li>it returns a value some put or compare-and-set may have written (not one that certainly
 *       failed, nor one invoked only after the read ended);
 *   <li>with a bound B, what it returns was current at some moment at or after {@code invoke - B -
 *       slack}: no write acknowledged before then had replaced it. For a value read at revision r,
 *       no acknowledged write with a higher revision completed before then; for an absent key, the
 *       newest write acknowledged before then was a delete, or a later delete (or one of unknown
 *       outcome) may explain the absence.
 * </ul>
 *
 * The slack covers clock differences between clients and nodes (zero on one machine).
 */
public final class StaleReadChecker {
  private StaleReadChecker() {}

  /** The violations found, each naming the read and the write it missed; empty if none. */
  public static List<String> check(List<Op> history, long slackNanos) {
    Map<String, Op> writers = new HashMap<>();
    Map<String, List<Op>> byKey = new HashMap<>();
    for (Op op : history) {
      if (op.mayHaveWritten()) {
        writers.put(op.value(), op);
      }
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    List<String> violations = new ArrayList<>();
    for (Op read : history) {
      if (read.kind() != Op.Kind.GET
          || read.level() != Op.Level.STALE
          || read.outcome() != Op.Outcome.OK) {
        continue;
      }
      List<Op> ops = byKey.get(read.key());
      if (read.observed() != null) {
        Op w = writers.get(read.observed());
        if (w == null) {
          violations.add(read.describe() + ": returned a value never written (or whose write failed)");
          continue;
        }
        if (w.invokeNanos() > read.completeNanos()) {
          violations.add(read.describe() + ": returned a value written only later: " + w.describe());
          continue;
        }
      }
      if (read.maxStalenessNanos() <= 0) {
        continue;
      }
      long cutoff = read.invokeNanos() - read.maxStalenessNanos() - slackNanos;
      if (read.observed() != null) {
        if (read.revision() <= 0) {
          continue;
        }
        for (Op w : ops) {
          if (w.acknowledgedWrite() && w.revision() > read.revision() && w.completeNanos() < cutoff) {
            violations.add(read.describe() + ": older than its bound; "
                + (w.completeNanos() == Long.MAX_VALUE ? "" : ((cutoff - w.completeNanos()) / 1_000_000 + " ms "))
                + "before the bound's start, " + w.describe() + " had replaced it");
            break;
          }
        }
      } else {
        Op newest = null;
        for (Op w : ops) {
          if (w.acknowledgedWrite() && w.completeNanos() < cutoff && w.revision() > 0
              && (newest == null || w.revision() > newest.revision())) {
            newest = w;
          }
        }
        if (newest == null || newest.kind() == Op.Kind.DELETE) {
          continue;
        }
        boolean explained = false;
        for (Op d : ops) {
          if (d.kind() != Op.Kind.DELETE) {
            continue;
          }
          if ((d.outcome() == Op.Outcome.OK && (d.revision() > newest.revision() || d.revision() == 0))
              || (d.outcome() == Op.Outcome.UNKNOWN && d.invokeNanos() < read.completeNanos())) {
            explained = true;
            break;
          }
        }
        if (!explained) {
          violations.add(read.describe() + ": absent, but " + newest.describe()
              + " was acknowledged before the bound's start and no delete came after it");
        }
      }
    }
    return violations;
  }
}
