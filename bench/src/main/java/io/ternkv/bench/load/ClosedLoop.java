package io.ternkv.bench.load;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Keeps {@code inFlight} requests outstanding: each slot sends its next request as soon as the
 * previous one completes. Requests that start in the measured window and complete before it ends
 * are counted; their latency (µs) goes into an HdrHistogram. A slot whose request was shed waits
 * {@code shedPause} before its next, so an overloaded server is not hammered in a tight loop.
 *
 * <p>Threading: {@link #run} blocks its caller; completions run on the target's threads.
 */
final class ClosedLoop {
  /** Longest a phase waits for its last requests after the measured window ends. */
  private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final Supplier<CompletableFuture<?>> op;
  private final Target target;
  private final int inFlight;
  private final ScheduledExecutorService timer;
  private final long shedPauseNanos;
  private final Histogram latencyMicros = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(2), 3);
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong shed = new AtomicLong();
  private final AtomicLong firstError = new AtomicLong();
  private volatile Throwable sampleError;
  private volatile long measureStart;
  private volatile long measureEnd;
  private volatile boolean stopped;
  private CountDownLatch slotsDone;

  ClosedLoop(
      Target target,
      Supplier<CompletableFuture<?>> op,
      int inFlight,
      ScheduledExecutorService timer,
      long shedPauseNanos) {
    this.target = target;
    this.op = op;
    this.inFlight = inFlight;
    this.timer = timer;
    this.shedPauseNanos = shedPauseNanos;
  }

  /** What one run measured. */
  record Measured(
      Histogram latencyMicros,
      long errors,
      long shed,
      double seconds,
      Throwable sampleError,
      double cpuSeconds) {}

  /** CPU time this process used so far, in nanoseconds; -1 where the JVM does not tell. */
  static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /**
   * Runs the warm-up, then the measured window, then waits for outstanding requests.
   *
   * @throws InterruptedException when interrupted while waiting
   */
  Measured run(long warmupNanos, long measureNanos) throws InterruptedException {
    long now = System.nanoTime();
    measureStart = now + warmupNanos;
    measureEnd = measureStart + measureNanos;
    slotsDone = new CountDownLatch(inFlight);
    for (int i = 0; i < inFlight; i++) {
      next();
    }
    long untilStart = measureStart - System.nanoTime();
    if (untilStart > 0) {
      TimeUnit.NANOSECONDS.sleep(untilStart);
    }
    long cpuAtStart = processCpuNanos();
    long sleep = measureEnd - System.nanoTime();
    if (sleep > 0) {
      TimeUnit.NANOSECONDS.sleep(sleep);
    }
    long cpuAtEnd = processCpuNanos();
    stopped = true;
    if (!slotsDone.await(DRAIN_NANOS, TimeUnit.NANOSECONDS)) {
      throw new IllegalStateException(
          target.name() + ": " + slotsDone.getCount() + " requests still outstanding 60 s after the phase ended");
    }
    double cpu = cpuAtStart < 0 || cpuAtEnd < 0 ? Double.NaN : (cpuAtEnd - cpuAtStart) / 1e9;
    return new Measured(
        latencyMicros, errors.get(), shed.get(), (measureEnd - measureStart) / 1e9, sampleError, cpu);
  }

  /** Sends requests on one slot until stopped; loops rather than recursing on synchronous results. */
  private void next() {
    while (!stopped) {
      long start = System.nanoTime();
      CompletableFuture<?> f;
      try {
        f = op.get();
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      if (!f.isDone()) {
        f.whenComplete(
            (r, e) -> {
              if (completed(start, e)) {
                next();
              }
            });
        return;
      }
      Throwable error = null;
      try {
        f.join();
      } catch (RuntimeException e) {
        error = e;
      }
      if (!completed(start, error)) {
        return;
      }
    }
    slotsDone.countDown();
  }

  /** Records one completion; false when the slot pauses (its timer resumes it) instead. */
  private boolean completed(long start, Throwable error) {
    long end = System.nanoTime();
    boolean counted = start >= measureStart && end <= measureEnd;
    if (error == null) {
      if (counted) {
        latencyMicros.recordValue(Math.min((end - start) / 1000, latencyMicros.getHighestTrackableValue()));
      }
      return true;
    }
    boolean isShed = target.isShed(error);
    if (counted) {
      (isShed ? shed : errors).incrementAndGet();
      if (!isShed && firstError.getAndIncrement() == 0) {
        sampleError = error;
      }
    }
    if (isShed && shedPauseNanos > 0 && !stopped) {
      timer.schedule(this::next, shedPauseNanos, TimeUnit.NANOSECONDS);
      return false;
    }
    return true;
  }
}
