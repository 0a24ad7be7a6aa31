package io.ternkv.server.history;

import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.CompactCommand;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.storage.KvStore;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the last {@code retention} revisions of history and compacts the rest, through the log,
 * while this node leads. It compacts in steps of a tenth of the retention (at least one revision),
 * so a busy cluster writes one compaction entry per {@code retention / 10} writes, not one per
 * write; history therefore holds between {@code retention} and {@code 1.1 * retention} revisions.
 *
 * <p>Only the leader proposes (followers apply what it decided); a compaction that loses a race
 * with another (say, a manual one) is refused on apply and simply retried at the next check.
 *
 * <p>Threading: thread-safe; one scheduler thread checks once a second.
 */
public final class AutoCompactor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AutoCompactor.class);

  /** How often the leader checks whether history grew past its retention. */
  static final long CHECK_MS = 1_000;

  private final String nodeId;
  private final RaftNode raft;
  private final long retention;
  private final ScheduledExecutorService ticker;
  private final AtomicBoolean inFlight = new AtomicBoolean();

  /**
   * Starts checking, unless {@code retention} is 0 (automatic compaction off).
   *
   * @param retention revisions of history to keep; at least 1, or 0 for off
   * @throws IllegalArgumentException when retention is negative
   */
  public AutoCompactor(String nodeId, RaftNode raft, long retention) {
    if (retention < 0) {
      throw new IllegalArgumentException("retention must not be negative");
    }
    this.nodeId = nodeId;
    this.raft = raft;
    this.retention = retention;
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, nodeId + "-auto-compact");
              t.setDaemon(true);
              return t;
            });
    if (retention > 0) {
      ticker.scheduleWithFixedDelay(this::check, CHECK_MS, CHECK_MS, TimeUnit.MILLISECONDS);
    }
  }

  /** The revision to compact to now, or 0 when history is within its retention. */
  static long target(long current, long compacted, long retention) {
    long step = Math.max(1, retention / 10);
    long target = current - retention;
    return target - compacted >= step && target > 0 ? target : 0;
  }

  private void check() {
    try {
      if (!raft.isReadyLeader() || inFlight.get()) {
        return;
      }
      KvStore.ReadView view = raft.store().view();
      long target = target(view.applied().revision(), view.compacted(), retention);
      if (target == 0) {
        return;
      }
      inFlight.set(true);
      Command compact =
          Command.newBuilder().setCompact(CompactCommand.newBuilder().setRevision(target)).build();
      raft.write(compact, null, 0)
          .whenComplete(
              (o, e) -> {
                inFlight.set(false);
                if (e != null) {
                  LOG.debug("{}: automatic compaction to {} failed: {}", nodeId, target, e.toString());
                } else if (o.result().refused() != null) {
                  LOG.debug("{}: automatic compaction to {} refused: {}", nodeId, target, o.result().refused().getMessage());
                } else {
                  LOG.debug("{}: compacted history before revision {} (keeping {} revisions)", nodeId, target, retention);
                }
              });
    } catch (RuntimeException e) {
      inFlight.set(false);
      LOG.debug("{}: automatic compaction check failed: {}", nodeId, e.toString());
    }
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
