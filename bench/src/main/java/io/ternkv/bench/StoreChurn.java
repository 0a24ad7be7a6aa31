package io.ternkv.bench;

import com.google.protobuf.ByteString;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.CompactCommand;
import io.ternkv.proto.raft.v1.PutCommand;
import io.ternkv.server.apply.Applier;
import io.ternkv.server.storage.KvStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Measures the store under the apply thread's write pattern, without Raft or gRPC: puts of
 * random keys applied one command at a time, a commit every {@code --commit-writes} writes or
 * {@code --commit-interval}, compaction keeping the last {@code --retention} revisions as the
 * automatic compactor does. Prints puts per second, how long commits held the store (the time
 * the apply thread waits), and the file size, once per report interval and at the end.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.ternkv.bench.StoreChurn --duration 60s
 * </pre>
 *
 * <p>Options: {@code --keys N} (10000), {@code --value-size BYTES} (256), {@code --duration D}
 * (60s), {@code --rate PUTS_PER_SECOND} (0: as fast as possible), {@code --commit-writes N} (1024), {@code --commit-interval D} (200ms), {@code
 * --retention N} (10000), {@code --dir DIR} (a new temporary directory, deleted at the end).
 */
public final class StoreChurn {
  private StoreChurn() {}

  public static void main(String[] args) throws IOException {
    int keys = 10_000;
    int valueSize = 256;
    Duration duration = Duration.ofSeconds(60);
    long commitWrites = 1024;
    Duration commitInterval = Duration.ofMillis(200);
    long retention = 10_000;
    Path dir = null;
    long rate = 0;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        System.out.println(
            "usage: StoreChurn [--keys N] [--value-size BYTES] [--duration 60s] [--commit-writes N]"
                + " [--commit-interval 200ms] [--retention N] [--rate N] [--dir DIR]");
        return;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(arg + " needs a value");
      }
      String v = args[++i];
      switch (arg) {
        case "--keys" -> keys = Integer.parseInt(v);
        case "--value-size" -> valueSize = Integer.parseInt(v);
        case "--duration" -> duration = parse(v);
        case "--commit-writes" -> commitWrites = Long.parseLong(v);
        case "--commit-interval" -> commitInterval = parse(v);
        case "--retention" -> retention = Long.parseLong(v);
        case "--dir" -> dir = Path.of(v);
        case "--rate" -> rate = Long.parseLong(v);
        default -> throw new IllegalArgumentException("unknown option " + arg);
      }
    }
    boolean temporary = dir == null;
    if (temporary) {
      dir = Files.createTempDirectory("store-churn");
    }
    Path file = dir.resolve("store.mv.db");
    SplittableRandom random = new SplittableRandom(42);
    byte[] value = new byte[valueSize];
    random.nextBytes(value);
    ByteString valueBytes = ByteString.copyFrom(value);
    long index = 0;
    long[] commits = new long[1 << 16];
    int commitCount = 0;
    try (KvStore store = KvStore.open(file)) {
      Applier applier = new Applier(store);
      for (int k = 0; k < keys; k++) {
        applier.apply(put(k, valueBytes), 1, ++index);
      }
      store.commit();
      System.out.printf("preloaded %,d keys; file %,d bytes%n", keys, Files.size(file));
      long start = System.nanoTime();
      long end = start + duration.toNanos();
      long lastCommit = start;
      long sinceCommit = 0;
      long puts = 0;
      long nextReport = start + 10_000_000_000L;
      long reportPuts = 0;
      long compacted = 0;
      while (true) {
        long now = System.nanoTime();
        if (now >= end) {
          break;
        }
        if (rate > 0) {
          long due = start + puts * 1_000_000_000L / rate;
          while (System.nanoTime() < due) {
            java.util.concurrent.locks.LockSupport.parkNanos(due - System.nanoTime());
          }
        }
        applier.apply(put(random.nextInt(keys), valueBytes), 1, ++index);
        puts++;
        sinceCommit++;
        long revision = store.applied().revision();
        if (retention > 0 && revision - retention - compacted >= Math.max(1, retention / 10)) {
          compacted = revision - retention;
          applier.apply(
              Command.newBuilder()
                  .setCompact(CompactCommand.newBuilder().setRevision(compacted))
                  .build(),
              1,
              ++index);
        }
        if (puts % 64 == 0) {
          for (int b = 0; b < 40 && store.compactSome(256); b++) {
            // bounded, as the state machine's committer does
          }
        }
        now = System.nanoTime();
        if (sinceCommit >= commitWrites || now - lastCommit >= commitInterval.toNanos()) {
          long t0 = System.nanoTime();
          store.commit();
          long took = System.nanoTime() - t0;
          if (commitCount == commits.length) {
            commits = Arrays.copyOf(commits, commits.length * 2);
          }
          commits[commitCount++] = took;
          lastCommit = System.nanoTime();
          sinceCommit = 0;
        }
        if (now >= nextReport) {
          System.out.printf(
              "%4ds  puts/s=%,8d  file=%,d bytes  fill=%d%%%n",
              (now - start) / 1_000_000_000L,
              (puts - reportPuts) / 10,
              Files.size(file),
              store.fileFillRate());
          reportPuts = puts;
          nextReport += 10_000_000_000L;
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long[] sorted = Arrays.copyOf(commits, commitCount);
      Arrays.sort(sorted);
      System.out.printf(
          "puts/s=%,.0f  commits=%,d  commit p50=%.1fms p99=%.1fms max=%.1fms  file=%,d bytes"
              + "  history=%,d  fill=%d%%%n",
          puts / seconds,
          commitCount,
          pct(sorted, 0.5) / 1e6,
          pct(sorted, 0.99) / 1e6,
          commitCount == 0 ? 0 : sorted[commitCount - 1] / 1e6,
          Files.size(file),
          store.historySize(),
          store.fileFillRate());
    } finally {
      if (temporary) {
        try (Stream<Path> paths = Files.walk(dir)) {
          paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  private static Command put(int key, ByteString value) {
    return Command.newBuilder()
        .setPut(
            PutCommand.newBuilder()
                .setKey(ByteString.copyFromUtf8(String.format("key-%012d", key)))
                .setValue(value))
        .build();
  }

  private static long pct(long[] sorted, double q) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, q * sorted.length)];
  }

  private static Duration parse(String v) {
    String s = v.trim().toLowerCase();
    if (s.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
    }
    if (s.endsWith("s")) {
      return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
    }
    if (s.endsWith("m")) {
      return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
    }
    throw new IllegalArgumentException("duration like 60s, 500ms or 2m, not " + v);
  }
}
