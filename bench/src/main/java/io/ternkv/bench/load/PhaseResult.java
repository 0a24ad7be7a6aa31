package io.ternkv.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One measured phase: throughput, latency percentiles in milliseconds, and failures, split into
 * requests shed by the server (RESOURCE_EXHAUSTED) and every other error. One CSV row.
 */
record PhaseResult(
    String target,
    int round,
    String phase,
    int inFlight,
    long ops,
    double opsPerSec,
    double p50Ms,
    double p99Ms,
    double p999Ms,
    double maxMs,
    long errors,
    long shed,
    double seconds,
    int valueSize) {

  static final String HEADER =
      "target,round,phase,inflight,ops,ops_per_sec,p50_ms,p99_ms,p999_ms,max_ms,errors,shed,seconds,value_bytes";

  String csv() {
    return String.format(
        Locale.ROOT,
        "%s,%d,%s,%d,%d,%.1f,%.3f,%.3f,%.3f,%.3f,%d,%d,%.1f,%d",
        target, round, phase, inFlight, ops, opsPerSec, p50Ms, p99Ms, p999Ms, maxMs, errors, shed, seconds, valueSize);
  }

  /** The console line: fixed columns so phases line up. */
  String line() {
    return String.format(
        Locale.ROOT,
        "%-7s %-18s inflight=%-5d ops/s=%9.0f  p50=%8.3fms  p99=%8.3fms  p99.9=%8.3fms  errors=%d  shed=%d",
        target, phase, inFlight, opsPerSec, p50Ms, p99Ms, p999Ms, errors, shed);
  }

  static PhaseResult parse(String row) {
    String[] f = row.split(",");
    if (f.length != 14) {
      throw new IllegalArgumentException("a result row has 14 columns, not " + f.length + ": " + row);
    }
    return new PhaseResult(
        f[0], Integer.parseInt(f[1]), f[2], Integer.parseInt(f[3]), Long.parseLong(f[4]),
        Double.parseDouble(f[5]), Double.parseDouble(f[6]), Double.parseDouble(f[7]),
        Double.parseDouble(f[8]), Double.parseDouble(f[9]), Long.parseLong(f[10]),
        Long.parseLong(f[11]), Double.parseDouble(f[12]), Integer.parseInt(f[13]));
  }

  /** Appends rows to {@code file}, writing the header first when the file is new or empty. */
  static synchronized void append(Path file, List<PhaseResult> rows) throws IOException {
    List<String> lines = new ArrayList<>();
    if (!Files.exists(file) || Files.size(file) == 0) {
      lines.add(HEADER);
    }
    rows.forEach(r -> lines.add(r.csv()));
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Files.write(file, lines, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** Reads every row of a CSV written by {@link #append}. */
  static List<PhaseResult> read(Path file) throws IOException {
    List<PhaseResult> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (!line.isBlank() && !line.startsWith("target,")) {
        rows.add(parse(line));
      }
    }
    return rows;
  }
}
