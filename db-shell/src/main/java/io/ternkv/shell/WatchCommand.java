package io.ternkv.shell;

import io.ternkv.client.KeyRange;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.Watch;
import io.ternkv.client.WatchEvent;
import io.ternkv.client.WatchListener;
import io.ternkv.client.WatchOptions;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code watch KEY [--prefix] [--rev N] [--prev] [--progress] [--count N]}: prints changes as
 * they happen, until Ctrl-C (or N events). The watch follows the cluster across node failures.
 */
@SuppressWarnings("try") // the watch is held open by try-with-resources while waiting
final class WatchCommand {
  private WatchCommand() {}

  static final String USAGE = "watch KEY [--prefix] [--rev N] [--prev] [--progress] [--count N]";

  static void run(Args args, TernClient client, Render render, PrintStream out) {
    boolean prefix = args.flag("--prefix");
    boolean prev = args.flag("--prev");
    boolean progress = args.flag("--progress");
    long revision = args.revision();
    String countText = args.option("--count");
    args.done(1, 1);
    long count = countText == null ? Long.MAX_VALUE : Args.positive("watch: --count", countText);
    byte[] key = Values.parse(args.positional(0));
    WatchOptions options =
        (prefix ? WatchOptions.range(KeyRange.prefix(key)) : WatchOptions.key(key)).fromRevision(revision);
    if (prev) {
      options = options.withPreviousVersions();
    }
    if (progress) {
      options = options.withProgress();
    }
    AtomicLong printed = new AtomicLong();
    AtomicReference<TernException> ended = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    WatchListener listener =
        new WatchListener() {
          @Override
          public void onEvents(List<WatchEvent> events) {
            synchronized (out) {
              for (WatchEvent e : events) {
                if (printed.get() >= count) {
                  break;
                }
                out.print(render.event(e));
                printed.incrementAndGet();
              }
              out.flush();
            }
            if (printed.get() >= count) {
              done.countDown();
            }
          }

          @Override
          public void onProgress(long revision) {
            synchronized (out) {
              out.print(render.progress(revision));
              out.flush();
            }
          }

          @Override
          public void onCancelled(TernException reason) {
            ended.set(reason);
            done.countDown();
          }
        };
    try (Watch watch = client.watch(options, listener)) {
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CancelledException("watch stopped after " + printed.get() + " events", 0, 0);
      }
    }
    if (ended.get() != null) {
      throw ended.get();
    }
  }
}
