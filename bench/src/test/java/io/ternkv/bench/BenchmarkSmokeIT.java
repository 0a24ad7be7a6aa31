package io.ternkv.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark once, briefly, in a forked JVM against a real cluster, so the suite cannot
 * rot: each level and mode must produce a result, and the report must read it.
 */
class BenchmarkSmokeIT {
  @Test
  void everyBenchmarkRunsAndReports() throws Exception {
    Options options =
        new OptionsBuilder()
            .include("io\\.ternkv\\.bench\\.(Read|Write)Benchmark")
            .param("valueSize", "16")
            .param("keys", "100")
            .warmupIterations(0)
            .measurementIterations(1)
            .measurementTime(TimeValue.milliseconds(300))
            .forks(1)
            .timeout(TimeValue.seconds(60))
            .shouldFailOnError(true)
            .build();
    Collection<RunResult> results = new Runner(options).run();
    // 5 read levels + 2 write levels, each in latency and throughput mode.
    assertEquals(14, results.size());
    for (RunResult r : results) {
      assertTrue(r.getPrimaryResult().getSampleCount() > 0, r.getParams().getBenchmark());
    }
  }

  @Test
  void reportReadsJmhJson(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    String json =
        "[{\"benchmark\":\"io.ternkv.bench.ReadBenchmark.latency\",\"mode\":\"sample\","
            + "\"params\":{\"level\":\"LEASE\",\"valueSize\":\"256\"},"
            + "\"primaryMetric\":{\"score\":300.0,\"scorePercentiles\":{\"50.0\":250.0,\"99.0\":900.0,\"99.9\":2000.0}}},"
            + "{\"benchmark\":\"io.ternkv.bench.ReadBenchmark.throughput\",\"mode\":\"thrpt\","
            + "\"params\":{\"level\":\"LEASE\",\"valueSize\":\"256\"},"
            + "\"primaryMetric\":{\"score\":12345.6}},"
            + "{\"benchmark\":\"io.ternkv.bench.WriteBenchmark.latency\",\"mode\":\"sample\","
            + "\"params\":{\"level\":\"ALL\",\"valueSize\":\"16\"},"
            + "\"primaryMetric\":{\"score\":3.0,\"scorePercentiles\":{\"50.0\":1000.0,\"99.0\":3000.0,\"99.9\":5000.0}}}]";
    List<Report.Row> rows = Report.parse(json);
    assertEquals(2, rows.size());
    assertEquals(new Report.Row("get", "LEASE", 256, 250, 900, 2000, 12345.6), rows.get(0));
    assertTrue(Double.isNaN(rows.get(1).opsPerSec()));
    String table = Report.markdown(rows);
    assertTrue(table.contains("| get | LEASE | 256 | 250 | 900 | 2,000 | 12,346 |"), table);
    assertTrue(table.contains("| put | ALL | 16 | 1,000 | 3,000 | 5,000 | - |"), table);
    Report.write(rows, dir);
    assertTrue(
        java.nio.file.Files.readString(dir.resolve("results.md")).contains("| get | LEASE | 256 |"),
        "results.md holds the table");
    for (String f : List.of("latency.png", "throughput.png")) {
      byte[] png = java.nio.file.Files.readAllBytes(dir.resolve(f));
      assertTrue(png.length > 1000, f + " is " + png.length + " bytes");
      assertEquals("PNG", new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII), f);
    }
  }
}
