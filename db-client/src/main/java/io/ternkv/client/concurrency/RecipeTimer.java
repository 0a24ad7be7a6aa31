package io.ternkv.client.concurrency;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one timer thread of the recipes: session checks and lock timeouts. The client's own timer is
 * not public, and these tasks are short and never block.
 */
final class RecipeTimer {
  private static final ScheduledThreadPoolExecutor TIMER = create();

  private RecipeTimer() {}

  private static ScheduledThreadPoolExecutor create() {
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "ternkv-recipes-timer");
              t.setDaemon(true);
              return t;
            });
    // Timeouts are usually cancelled long before they fire; do not keep them queued.
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  /** Runs {@code task} once after {@code delay}. */
  static ScheduledFuture<?> after(Duration delay, Runnable task) {
    return TIMER.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
  }

  /** Runs {@code task} every {@code period}, first after one period. */
  static ScheduledFuture<?> every(Duration period, Runnable task) {
    long nanos = period.toNanos();
    return TIMER.scheduleWithFixedDelay(task, nanos, nanos, TimeUnit.NANOSECONDS);
  }
}
