package io.ternkv.shell.e2e.robust;

import io.ternkv.server.check.LinearizabilityChecker;
import io.ternkv.server.check.Op;
import io.ternkv.server.check.SessionChecker;
import io.ternkv.server.check.StaleReadChecker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Where a robustness test keeps what a failure needs: a directory under {@code target/robustness/}
 * holding the node data directories and logs, and, once written, {@code history.txt} (every
 * operation in invocation order, times relative to the first) and {@code faults.txt} (the fault
 * schedule). Deleted when the test passes, kept and printed when it does not.
 */
final class Evidence {
  private Evidence() {}

  /** A fresh directory for one test run. */
  static Path newDir(String test) throws IOException {
    Path dir = Path.of("target", "robustness", test + "-" + System.currentTimeMillis()).toAbsolutePath();
    Files.createDirectories(dir);
    return dir;
  }

  /** One line of counts: operations by kind and outcome. */
  static String summary(List<Op> ops) {
    Map<String, Long> counts =
        ops.stream()
            .collect(Collectors.groupingBy(o -> o.kind() + "/" + o.outcome(), TreeMap::new, Collectors.counting()));
    return ops.size() + " operations " + counts;
  }

  /** Writes the history and the fault schedule into {@code dir}. */
  static void write(Path dir, List<Op> ops, List<String> faults) throws IOException {
    long t0 = ops.stream().mapToLong(Op::invokeNanos).min().orElse(0);
    StringBuilder b = new StringBuilder();
    b.append("# ").append(summary(ops)).append('\n');
    b.append("# times in microseconds since the first invocation; '?' = never answered\n");
    ops.stream()
        .sorted(Comparator.comparingLong(Op::invokeNanos))
        .forEach(o -> b.append(relative(o, t0).describe()).append('\n'));
    Files.writeString(dir.resolve("history.txt"), b);
    Files.writeString(dir.resolve("faults.txt"), String.join("\n", faults) + "\n");
  }

  private static Op relative(Op o, long t0) {
    return o.withTimes((o.invokeNanos() - t0) / 1000,
        o.completeNanos() == Long.MAX_VALUE ? Long.MAX_VALUE : (o.completeNanos() - t0) / 1000);
  }

  /**
   * Checks the history; on a violation writes it, the faults and the checker's explanation into
   * {@code dir} and fails naming the directory.
   */
  static void assertLinearizable(Path dir, List<Op> ops, List<String> faults) throws IOException {
    LinearizabilityChecker.Result r = LinearizabilityChecker.check(ops);
    if (!r.linearizable()) {
      write(dir, ops, faults);
      Files.writeString(dir.resolve("violation.txt"), r.explanation());
      throw new AssertionError("history is not linearizable; history, faults and data kept in " + dir
          + "\n" + r.explanation());
    }
  }

  /**
   * Checks the SESSION reads against the session guarantees and the STALE reads against their
   * bound (with {@code slack} for timing between client and node); on a violation writes the
   * history, the faults and the offending reads into {@code dir} and fails naming them.
   */
  static void assertWeakReads(Path dir, List<Op> ops, List<String> faults, Duration slack)
      throws IOException {
    List<String> violations = new ArrayList<>();
    SessionChecker.check(ops).forEach(v -> violations.add("SESSION " + v));
    StaleReadChecker.check(ops, slack.toNanos()).forEach(v -> violations.add("STALE " + v));
    if (!violations.isEmpty()) {
      write(dir, ops, faults);
      Files.writeString(dir.resolve("violation.txt"), String.join("\n", violations) + "\n");
      throw new AssertionError(violations.size() + " weak reads broke their guarantee; history, faults and"
          + " data kept in " + dir + "\n" + String.join("\n", violations.subList(0, Math.min(20, violations.size()))));
    }
  }

  /** Deletes the directory when the test passed, else prints where it is. */
  static void keepOnFailure(Path dir, boolean passed, String test) throws IOException {
    if (passed) {
      deleteRecursively(dir);
    } else {
      System.err.println(test + " failed; history, fault schedule, node logs and data kept in " + dir);
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  static <T> Map<T, Long> count(List<Op> ops, Function<Op, T> by) {
    return ops.stream().collect(Collectors.groupingBy(by, Collectors.counting()));
  }
}
