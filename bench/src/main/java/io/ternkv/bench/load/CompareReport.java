package io.ternkv.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Turns the rows of several rounds (one CSV from {@link LoadDriver}) into the median of each
 * (target, phase, in-flight) and the ratio TernKV/etcd for like-for-like pairs, written as {@code
 * summary.csv}, {@code results.md} and {@code throughput.png} / {@code latency-p99.png}.
 *
 * <p>Usage: {@code CompareReport RESULTS.csv OUT_DIR}
 */
public final class CompareReport {
  /** A TernKV phase, the etcd phase it is set against, and whether the guarantees match. */
  record Pair(String ternkv, String etcd, boolean likeForLike) {}

  static final List<Pair> PAIRS =
      List.of(
          new Pair("put", "put", true),
          new Pair("get-linearizable", "get-linearizable", true),
          new Pair("get-stale", "get-serializable", true),
          new Pair("get-lease", "get-linearizable", false),
          new Pair("get-session", "get-serializable", false),
          new Pair("ycsb-a", "ycsb-a", true),
          new Pair("ycsb-b", "ycsb-b", true),
          new Pair("ycsb-c", "ycsb-c", true),
          new Pair("ycsb-f", "ycsb-f", true));

  /** Medians over the rounds of one (target, phase, in-flight); errors and shed are totals. */
  record Median(
      String target, String phase, int inFlight, int rounds, double opsPerSec, double p50Ms,
      double p99Ms, double p999Ms, long errors, long shed) {}

  private CompareReport() {}

  /** Runs the report as a program. */
  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: CompareReport RESULTS.csv OUT_DIR");
      System.exit(2);
    }
    List<PhaseResult> rows = PhaseResult.read(Path.of(args[0]));
    if (rows.isEmpty()) {
      System.err.println("error: " + args[0] + " has no result rows");
      System.exit(1);
    }
    System.out.print(write(rows, Path.of(args[1])));
  }

  /** Writes every output file into {@code out} and returns the markdown. */
  static String write(List<PhaseResult> rows, Path out) throws IOException {
    Files.createDirectories(out);
    Map<String, Median> medians = medians(rows);
    List<String> summary = new ArrayList<>();
    summary.add("target,phase,inflight,rounds,ops_per_sec,p50_ms,p99_ms,p999_ms,errors,shed");
    for (Median m : medians.values()) {
      summary.add(
          String.format(
              Locale.ROOT, "%s,%s,%d,%d,%.1f,%.3f,%.3f,%.3f,%d,%d", m.target(), m.phase(), m.inFlight(),
              m.rounds(), m.opsPerSec(), m.p50Ms(), m.p99Ms(), m.p999Ms(), m.errors(), m.shed()));
    }
    Files.write(out.resolve("summary.csv"), summary);
    String md = markdown(medians);
    Files.writeString(out.resolve("results.md"), md);
    chart(medians, out.resolve("throughput"), "Throughput, median of rounds (ops/s)", Median::opsPerSec, false);
    chart(medians, out.resolve("latency-p99"), "p99 latency, median of rounds (ms, log scale)", Median::p99Ms, true);
    return md;
  }

  static Map<String, Median> medians(List<PhaseResult> rows) {
    Map<String, List<PhaseResult>> groups = new LinkedHashMap<>();
    for (PhaseResult r : rows) {
      groups.computeIfAbsent(key(r.target(), r.phase(), r.inFlight()), k -> new ArrayList<>()).add(r);
    }
    Map<String, Median> medians = new LinkedHashMap<>();
    groups.forEach(
        (k, g) ->
            medians.put(
                k,
                new Median(
                    g.get(0).target(), g.get(0).phase(), g.get(0).inFlight(), g.size(),
                    median(g, PhaseResult::opsPerSec), median(g, PhaseResult::p50Ms),
                    median(g, PhaseResult::p99Ms), median(g, PhaseResult::p999Ms),
                    g.stream().mapToLong(PhaseResult::errors).sum(),
                    g.stream().mapToLong(PhaseResult::shed).sum())));
    return medians;
  }

  static double median(List<PhaseResult> g, ToDoubleFunction<PhaseResult> f) {
    double[] v = g.stream().mapToDouble(f).sorted().toArray();
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  private static String key(String target, String phase, int inFlight) {
    return target + "|" + phase + "|" + inFlight;
  }

  static String markdown(Map<String, Median> medians) {
    StringBuilder b = new StringBuilder();
    b.append("## TernKV vs etcd, median of each phase over the rounds\n\n")
        .append("Ratio = TernKV / etcd: above 1 is better for ops/s, below 1 is better for latency.\n")
        .append("Latencies in ms. `like` = same guarantee on both sides; `beside` = TernKV level with no etcd equivalent,\n")
        .append("set against the closest etcd read. errors / shed are totals over the rounds (shed = RESOURCE_EXHAUSTED).\n\n")
        .append("| TernKV phase | etcd phase | | in flight | TernKV ops/s | etcd ops/s | ratio | TernKV p50 | etcd p50 | ratio | TernKV p99 | etcd p99 | ratio | TernKV p99.9 | etcd p99.9 | ratio | errors T/E | shed T/E |\n")
        .append("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    TreeSet<Integer> inFlights = new TreeSet<>();
    medians.values().forEach(m -> inFlights.add(m.inFlight()));
    java.util.Set<String> shown = new java.util.HashSet<>();
    for (Pair p : PAIRS) {
      for (int n : inFlights) {
        Median t = medians.get(key("ternkv", p.ternkv(), n));
        Median e = medians.get(key("etcd", p.etcd(), n));
        if (t == null || e == null) {
          continue;
        }
        shown.add(key("ternkv", p.ternkv(), n));
        shown.add(key("etcd", p.etcd(), n));
        b.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d | %d/%d |%n",
                p.ternkv(), p.etcd(), p.likeForLike() ? "like" : "beside", n,
                ops(t.opsPerSec()), ops(e.opsPerSec()), ratio(t.opsPerSec(), e.opsPerSec()),
                ms(t.p50Ms()), ms(e.p50Ms()), ratio(t.p50Ms(), e.p50Ms()),
                ms(t.p99Ms()), ms(e.p99Ms()), ratio(t.p99Ms(), e.p99Ms()),
                ms(t.p999Ms()), ms(e.p999Ms()), ratio(t.p999Ms(), e.p999Ms()),
                t.errors(), e.errors(), t.shed(), e.shed()));
      }
    }
    List<Median> alone =
        medians.values().stream().filter(m -> !shown.contains(key(m.target(), m.phase(), m.inFlight()))).toList();
    if (!alone.isEmpty()) {
      b.append("\n## Without a counterpart (e.g. TernKV overload at 256 and 1,024 in flight)\n\n")
          .append("| target | phase | in flight | rounds | ops/s | p50 | p99 | p99.9 | errors | shed |\n")
          .append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
      for (Median m : alone) {
        b.append(
            String.format(
                Locale.ROOT, "| %s | %s | %d | %d | %s | %s | %s | %s | %d | %d |%n", m.target(), m.phase(),
                m.inFlight(), m.rounds(), ops(m.opsPerSec()), ms(m.p50Ms()), ms(m.p99Ms()), ms(m.p999Ms()),
                m.errors(), m.shed()));
      }
    }
    return b.toString();
  }

  private static String ops(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String ms(double v) {
    return String.format(Locale.ROOT, v < 10 ? "%.2f" : "%.1f", v);
  }

  static String ratio(double ternkv, double etcd) {
    return etcd <= 0 ? "-" : String.format(Locale.ROOT, "%.2f", ternkv / etcd);
  }

  private static void chart(
      Map<String, Median> medians, Path file, String title, ToDoubleFunction<Median> value, boolean log)
      throws IOException {
    List<String> categories = new ArrayList<>();
    List<Double> ternkv = new ArrayList<>();
    List<Double> etcd = new ArrayList<>();
    TreeSet<Integer> inFlights = new TreeSet<>();
    medians.values().forEach(m -> inFlights.add(m.inFlight()));
    for (Pair p : PAIRS) {
      for (int n : inFlights) {
        Median t = medians.get(key("ternkv", p.ternkv(), n));
        Median e = medians.get(key("etcd", p.etcd(), n));
        if (t == null && e == null) {
          continue;
        }
        categories.add((p.ternkv().equals(p.etcd()) ? p.ternkv() : p.ternkv() + " / " + p.etcd()) + " x" + n);
        ternkv.add(t == null ? 0.0 : Math.max(value.applyAsDouble(t), log ? 0.001 : 0));
        etcd.add(e == null ? 0.0 : Math.max(value.applyAsDouble(e), log ? 0.001 : 0));
      }
    }
    if (categories.isEmpty()) {
      return;
    }
    CategoryChart chart =
        new CategoryChartBuilder().width(1400).height(700).title(title).xAxisTitle("phase x requests in flight").build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.getStyler().setXAxisLabelRotation(60);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    if (log) {
      chart.getStyler().setYAxisLogarithmic(true);
      chart.getStyler().setYAxisMin(0.01);
    }
    chart.addSeries("TernKV", categories, ternkv);
    chart.addSeries("etcd", categories, etcd);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
