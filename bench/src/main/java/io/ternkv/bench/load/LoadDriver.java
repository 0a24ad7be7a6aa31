package io.ternkv.bench.load;

import io.ternkv.server.LocalCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * Closed-loop load against TernKV or etcd; see {@link LoadOptions#USAGE} ({@code --help}). Exit
 * status: 0 when every phase ran, 2 for bad flags, 1 when a phase could not run.
 */
public final class LoadDriver {
  private final LoadOptions options;
  private final Target target;
  private final byte[][] keys;
  private final byte[] value;

  private LoadDriver(LoadOptions options, Target target) {
    this.options = options;
    this.target = target;
    keys = new byte[options.keys()][];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = String.format("k%0" + (options.keySize() - 1) + "d", i).getBytes(StandardCharsets.US_ASCII);
    }
    value = new byte[options.valueSize()];
    Arrays.fill(value, (byte) 'v');
  }

  /** Runs the driver as a program. */
  public static void main(String[] args) {
    LoadOptions options;
    try {
      options = LoadOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (options == null) {
      System.out.print(LoadOptions.USAGE);
      return;
    }
    try {
      run(options);
    } catch (Exception e) {
      System.err.println("error: " + e.getMessage());
      System.exit(1);
    }
    System.exit(0);
  }

  /**
   * Runs every phase at every in-flight count, prints a line per phase, appends them to the CSV
   * when one is named, and returns them.
   *
   * @throws Exception when the cluster cannot be started or reached, or a phase cannot finish
   */
  static List<PhaseResult> run(LoadOptions options) throws Exception {
    LocalCluster cluster = null;
    List<String> endpoints = options.endpoints();
    if (endpoints.isEmpty()) {
      cluster = LocalCluster.builder().nodes(3).start();
      cluster.awaitLeader(Duration.ofSeconds(30));
      endpoints = cluster.endpoints();
    }
    try (Target target =
        options.target().equals("etcd")
            ? new EtcdTarget(endpoints)
            : new TernTarget(endpoints, options.requestTimeout())) {
      return new LoadDriver(options, target).runPhases();
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  private List<PhaseResult> runPhases() throws Exception {
    List<String> phases = expand(options.phases());
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "load-shed-pause");
              t.setDaemon(true);
              return t;
            });
    List<PhaseResult> results = new ArrayList<>();
    try {
      awaitReady();
      if (options.preload()) {
        preload();
      }
      for (String phase : phases) {
        Supplier<CompletableFuture<?>> op = operation(phase);
        for (int n : options.inFlight()) {
          ClosedLoop.Measured m =
              new ClosedLoop(target, op, n, timer, options.shedPause().toNanos())
                  .run(options.warmup().toNanos(), options.duration().toNanos());
          PhaseResult r = result(phase, n, m);
          // CPU of this process per request: with --local, the whole cluster's and the client's.
          System.out.println(
              r.line()
                  + (r.ops() == 0 || Double.isNaN(m.cpuSeconds())
                      ? ""
                      : String.format("  cpu/op=%.0fus", m.cpuSeconds() * 1e6 / r.ops())));
          if (m.sampleError() != null) {
            System.out.println("        first error: " + oneLine(m.sampleError()));
          }
          results.add(r);
          if (options.csv() != null) {
            PhaseResult.append(options.csv(), List.of(r));
          }
        }
      }
    } finally {
      timer.shutdownNow();
    }
    return results;
  }

  /** Phase names with {@code get} expanded to one per read level; unknown names fail here. */
  private List<String> expand(List<String> phases) {
    List<String> out = new ArrayList<>();
    for (String p : phases) {
      if (p.equals("get")) {
        target.readLevels().forEach(l -> out.add("get-" + l));
      } else {
        out.add(p);
      }
    }
    for (String p : out) {
      operation(p);
    }
    return out;
  }

  private Supplier<CompletableFuture<?>> operation(String phase) {
    String linearizable = target.readLevels().get(0);
    return switch (phase) {
      case "put" -> () -> target.put(randomKey(), value);
      case "ycsb-a" -> mix(50, linearizable, false);
      case "ycsb-b" -> mix(95, linearizable, false);
      case "ycsb-c" -> mix(100, linearizable, false);
      case "ycsb-f" -> mix(50, linearizable, true);
      default -> {
        if (phase.startsWith("get-") && target.readLevels().contains(phase.substring(4))) {
          String level = phase.substring(4);
          yield () -> target.get(randomKey(), level);
        }
        throw new IllegalArgumentException(
            "unknown phase '" + phase + "' for " + target.name() + " (put, get, "
                + String.join(", ", target.readLevels().stream().map(l -> "get-" + l).toList())
                + ", ycsb-a, ycsb-b, ycsb-c, ycsb-f)");
      }
    };
  }

  /** Reads {@code readPercent}% of the time, else updates (or reads, then writes, for ycsb-f). */
  private Supplier<CompletableFuture<?>> mix(int readPercent, String level, boolean readModifyWrite) {
    return () -> {
      byte[] key = randomKey();
      if (ThreadLocalRandom.current().nextInt(100) < readPercent) {
        return target.get(key, level);
      }
      if (readModifyWrite) {
        return target.get(key, level).thenCompose(v -> target.put(key, value));
      }
      return target.put(key, value);
    };
  }

  private byte[] randomKey() {
    return keys[ThreadLocalRandom.current().nextInt(keys.length)];
  }

  /** Waits until the cluster accepts a write (it may still be electing a leader), up to a minute. */
  private void awaitReady() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        target.put(keys[0], value).get(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        return;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              target.name() + " at " + String.join(",", options.endpoints()) + " does not accept writes: "
                  + oneLine(e), e);
        }
        TimeUnit.MILLISECONDS.sleep(500);
      }
    }
  }

  /**
   * Writes every key once, in transactions of up to 100 puts and 1 MiB (etcd takes at most 128
   * operations and 1.5 MiB in one request), 16 transactions in flight; prints progress every 10%
   * for 100,000 keys or more.
   */
  private void preload() throws Exception {
    long started = System.nanoTime();
    int batch = (int) Math.max(1, Math.min(100, (1024L * 1024) / (options.valueSize() + options.keySize())));
    int window = 16;
    java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(window);
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    int step = Math.max(keys.length / 10, 1);
    int nextReport = step;
    for (int i = 0; i < keys.length && failure.get() == null; i += batch) {
      if (!slots.tryAcquire(options.requestTimeout().toMillis() * 2, TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(target.name() + ": preload stalled at key " + i);
      }
      List<byte[]> chunk = Arrays.asList(keys).subList(i, Math.min(i + batch, keys.length));
      target.putAll(chunk, value).whenComplete((r, e) -> {
        if (e != null) {
          failure.compareAndSet(null, e);
        }
        slots.release();
      });
      if (keys.length >= 100_000 && i + chunk.size() >= nextReport) {
        nextReport += step;
        System.out.printf(
            "%s preload: %,d of %,d keys (%.0f s)%n",
            target.name(), i + chunk.size(), keys.length, (System.nanoTime() - started) / 1e9);
      }
    }
    if (!slots.tryAcquire(window, options.requestTimeout().toMillis() * 2, TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(target.name() + ": preload did not finish");
    }
    if (failure.get() != null) {
      throw new IllegalStateException(target.name() + ": preload failed: " + oneLine(failure.get()), failure.get());
    }
    System.out.printf(
        "%s preloaded %,d keys of %d bytes with %d-byte values in %.1f s%n",
        target.name(), keys.length, options.keySize(), options.valueSize(), (System.nanoTime() - started) / 1e9);
  }

  private PhaseResult result(String phase, int inFlight, ClosedLoop.Measured m) {
    Histogram h = m.latencyMicros();
    long ops = h.getTotalCount();
    return new PhaseResult(
        target.name(), options.round(), phase, inFlight, ops, ops / m.seconds(),
        ms(h, 50), ms(h, 99), ms(h, 99.9), ops == 0 ? 0 : h.getMaxValue() / 1000.0,
        m.errors(), m.shed(), m.seconds(), options.valueSize());
  }

  private static double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
  }

  private static String oneLine(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    String m = t.getClass().getSimpleName() + ": " + t.getMessage();
    return m.replace('\n', ' ');
  }
}
