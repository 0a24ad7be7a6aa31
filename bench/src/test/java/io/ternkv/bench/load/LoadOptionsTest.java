package io.ternkv.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flag parsing of the driver, and the medians and ratios of the comparison report. */
class LoadOptionsTest {
  @Test
  void defaultsMatchTheUsage() {
    LoadOptions o = LoadOptions.parse("--target", "etcd", "--endpoints", "127.0.0.1:2379");
    assertEquals(List.of(1, 16, 64), o.inFlight());
    assertEquals(List.of("put", "get"), o.phases());
    assertEquals(Duration.ofSeconds(5), o.warmup());
    assertEquals(Duration.ofSeconds(10), o.duration());
    assertEquals(10_000, o.keys());
    assertEquals(16, o.keySize());
    assertEquals(256, o.valueSize());
    assertTrue(o.preload());
    assertNull(LoadOptions.parse("--help"));
  }

  @Test
  void valuesParse() {
    LoadOptions o =
        LoadOptions.parse(
            "--target", "ternkv", "--local", "--inflight", "256,1024", "--value-size", "1MiB",
            "--warmup", "500ms", "--duration", "2m", "--no-preload");
    assertEquals(List.of(256, 1024), o.inFlight());
    assertEquals(1024 * 1024, o.valueSize());
    assertEquals(Duration.ofMillis(500), o.warmup());
    assertEquals(Duration.ofMinutes(2), o.duration());
    assertEquals(false, o.preload());
  }

  @Test
  void badFlagsAreNamed() {
    Map<String, String[]> cases =
        Map.of(
            "--value-size must be at most 1MiB",
                new String[] {"--target", "etcd", "--endpoints", "a:1", "--value-size", "2MiB"},
            "--inflight must be at least 1",
                new String[] {"--target", "etcd", "--endpoints", "a:1", "--inflight", "0"},
            "--duration takes a duration",
                new String[] {"--target", "etcd", "--endpoints", "a:1", "--duration", "ten"},
            "--target must be ternkv or etcd, not 'redis'", new String[] {"--target", "redis", "--local"},
            "give either --endpoints or --local", new String[] {"--target", "ternkv"},
            "unknown flag '--bogus'", new String[] {"--bogus", "1"});
    cases.forEach(
        (message, args) -> {
          IllegalArgumentException e =
              assertThrows(IllegalArgumentException.class, () -> LoadOptions.parse(args));
          assertTrue(e.getMessage().contains(message), e.getMessage());
        });
  }

  @Test
  void reportTakesMediansAndRatiosOfLikeForLikePhases(@TempDir Path dir) throws Exception {
    List<PhaseResult> rows =
        List.of(
            row("ternkv", 1, "put", 64, 900, 5), row("ternkv", 2, "put", 64, 1000, 4),
            row("ternkv", 3, "put", 64, 5000, 9), row("etcd", 1, "put", 64, 2000, 2),
            row("etcd", 2, "put", 64, 1800, 3), row("etcd", 3, "put", 64, 2200, 2),
            row("ternkv", 1, "get-stale", 64, 30000, 1), row("etcd", 1, "get-serializable", 64, 20000, 2),
            row("ternkv", 1, "put", 1024, 1100, 500));
    String md = CompareReport.write(rows, dir);
    // put: median 1000 vs 2000 ops/s, p50 5 vs 2 ms.
    assertTrue(md.contains("| put | put | like | 64 | 1,000 | 2,000 | 0.50 | 5.00 | 2.00 | 2.50 |"), md);
    assertTrue(md.contains("| get-stale | get-serializable | like | 64 | 30,000 | 20,000 | 1.50 |"), md);
    assertTrue(md.contains("| ternkv | put | 1024 | 1 | 1,100 |"), md);
    assertTrue(!md.contains("| etcd | put | 64 |"), "paired etcd rows are not listed again: " + md);
    assertTrue(java.nio.file.Files.size(dir.resolve("throughput.png")) > 1000);
    assertTrue(java.nio.file.Files.readString(dir.resolve("summary.csv")).contains("ternkv,put,64,3,1000.0,5.000"));
  }

  private static PhaseResult row(String target, int round, String phase, int inFlight, double ops, double p50) {
    return new PhaseResult(target, round, phase, inFlight, (long) ops * 10, ops, p50, p50 * 2, p50 * 3, p50 * 4, 0, 0, 10, 256);
  }
}
