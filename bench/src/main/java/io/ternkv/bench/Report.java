package io.ternkv.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Turns a JMH JSON result of {@link ReadBenchmark} and {@link WriteBenchmark} into a Markdown
 * table ({@code results.md}) and two charts ({@code latency.png}, {@code throughput.png}).
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.ternkv.bench.Report jmh.json OUT_DIR}
 */
public final class Report {
  private Report() {}

  /** One row: an operation at a level and value size, with its latency and throughput. */
  record Row(String op, String level, int valueSize, double p50, double p99, double p999, double opsPerSec) {}

  /** Writes results.md, latency.png and throughput.png for the rows into {@code out}. */
  static void write(List<Row> rows, Path out) throws IOException {
    Files.createDirectories(out);
    Files.writeString(out.resolve("results.md"), markdown(rows));
    System.setProperty("java.awt.headless", "true");
    latencyChart(rows, out.resolve("latency"));
    throughputChart(rows, out.resolve("throughput"));
  }

  /** Entry point; exits non-zero with one line on stderr when the input cannot be read. */
  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: Report JMH_JSON OUT_DIR");
      System.exit(2);
    }
    List<Row> rows = parse(Files.readString(Path.of(args[0])));
    if (rows.isEmpty()) {
      System.err.println("error: no ReadBenchmark/WriteBenchmark results in " + args[0]);
      System.exit(1);
    }
    Path out = Path.of(args[1]);
    write(rows, out);
    System.out.print(markdown(rows));
    System.out.println("wrote " + out.resolve("results.md") + ", latency.png, throughput.png");
  }

  static List<Row> parse(String json) {
    JsonArray results = JsonParser.parseString(json).getAsJsonArray();
    Map<String, double[]> latency = new LinkedHashMap<>();
    Map<String, Double> throughput = new LinkedHashMap<>();
    for (JsonElement e : results) {
      JsonObject r = e.getAsJsonObject();
      String benchmark = r.get("benchmark").getAsString();
      String op;
      if (benchmark.contains("ReadBenchmark")) {
        op = "get";
      } else if (benchmark.contains("WriteBenchmark")) {
        op = "put";
      } else {
        continue;
      }
      JsonObject params = r.getAsJsonObject("params");
      String key = op + "|" + params.get("level").getAsString() + "|" + params.get("valueSize").getAsString();
      JsonObject metric = r.getAsJsonObject("primaryMetric");
      if (benchmark.endsWith(".latency")) {
        JsonObject p = metric.getAsJsonObject("scorePercentiles");
        latency.put(key, new double[] {p.get("50.0").getAsDouble(), p.get("99.0").getAsDouble(), p.get("99.9").getAsDouble()});
      } else if (benchmark.endsWith(".throughput")) {
        throughput.put(key, metric.get("score").getAsDouble());
      }
    }
    TreeSet<String> keys = new TreeSet<>(latency.keySet());
    keys.addAll(throughput.keySet());
    List<Row> rows = new ArrayList<>();
    for (String key : keys) {
      String[] k = key.split("\\|");
      double[] l = latency.getOrDefault(key, new double[] {Double.NaN, Double.NaN, Double.NaN});
      rows.add(new Row(k[0], k[1], Integer.parseInt(k[2]), l[0], l[1], l[2], throughput.getOrDefault(key, Double.NaN)));
    }
    rows.sort(
        Comparator.comparing(Row::op)
            .thenComparing(r -> levelOrder(r.level()))
            .thenComparingInt(Row::valueSize));
    return rows;
  }

  private static int levelOrder(String level) {
    List<String> order = List.of("LINEARIZABLE", "LEASE", "SESSION", "STALE", "LOG", "MAJORITY", "ALL");
    int i = order.indexOf(level);
    return i < 0 ? order.size() : i;
  }

  static String markdown(List<Row> rows) {
    StringBuilder b = new StringBuilder();
    b.append("| op | level | value bytes | p50 µs | p99 µs | p99.9 µs | ops/s (8 threads) |\n");
    b.append("|---|---|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      b.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s |%n",
          r.op(), r.level(), r.valueSize(), fmt(r.p50()), fmt(r.p99()), fmt(r.p999()), fmt(r.opsPerSec())));
    }
    return b.toString();
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%,.0f", v);
  }

  private static List<String> labels(List<Row> rows) {
    return rows.stream().map(r -> r.op() + " " + r.level() + " " + r.valueSize() + "B").toList();
  }

  private static void latencyChart(List<Row> rows, Path file) throws IOException {
    CategoryChart chart =
        new CategoryChartBuilder().width(1400).height(700).title("TernKV latency by consistency level (3 nodes, on disk)")
            .xAxisTitle("operation, level, value size").yAxisTitle("latency (µs)").build();
    style(chart);
    // Local reads and replicated writes differ by orders of magnitude: a log scale shows both.
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setYAxisMin(10.0); // bars start at 0 unless told; a log axis cannot

    List<String> labels = labels(rows);
    chart.addSeries("p50", labels, rows.stream().map(r -> plotted(r.p50())).toList());
    chart.addSeries("p99", labels, rows.stream().map(r -> plotted(r.p99())).toList());
    chart.addSeries("p99.9", labels, rows.stream().map(r -> plotted(r.p999())).toList());
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static void throughputChart(List<Row> rows, Path file) throws IOException {
    CategoryChart chart =
        new CategoryChartBuilder().width(1400).height(700).title("TernKV throughput by consistency level (8 client threads)")
            .xAxisTitle("operation, level, value size").yAxisTitle("ops/s").build();
    style(chart);
    chart.addSeries("ops/s", labels(rows), rows.stream().map(r -> plotted(r.opsPerSec())).toList());
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static void style(CategoryChart chart) {
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setXAxisLabelRotation(60);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
  }

  /** A missing value is drawn as 1, the bottom of a log axis. */
  private static Number plotted(double v) {
    return Double.isNaN(v) ? 1 : v;
  }
}
