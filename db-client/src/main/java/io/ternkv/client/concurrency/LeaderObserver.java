package io.ternkv.client.concurrency;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.RevisionOutOfRangeException;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.Watch;
import io.ternkv.client.WatchEvent;
import io.ternkv.client.WatchListener;
import io.ternkv.client.WatchOptions;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running observation of an election's leader, from {@link Election#observe}: one read of the
 * candidate keys under the prefix, then a watch on the prefix from the revision after that read,
 * applied to a local copy of the keys so every leader change is reported at its revision without
 * reading again. Runs until {@link #close()} or until {@link LeaderListener#onCancelled}.
 *
 * <p>Threading: thread-safe. Listener calls come one at a time on client threads.
 */
public final class LeaderObserver implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaderObserver.class);

  private final TernClient client;
  private final KeyRange queue;
  private final LeaderListener listener;

  // Under this.
  private final Map<ByteBuffer, KeyValue> candidates = new HashMap<>();
  private KeyValue reportedLeader;
  private boolean reportedOnce;
  private int generation;
  private Watch watch;
  private boolean closed;

  LeaderObserver(TernClient client, byte[] directory, LeaderListener listener) {
    this.client = client;
    this.queue = KeyRange.prefix(directory);
    this.listener = listener;
    synchronized (this) {
      generation = 1;
    }
    // Throws IllegalStateException at once when the client is closed.
    PrefixSnapshot.read(client, queue).whenComplete((s, e) -> started(1, s, e));
  }

  /** Stops the observation; no listener call starts after this returns. Idempotent. */
  @Override
  public void close() {
    Watch w;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      w = watch;
      watch = null;
    }
    if (w != null) {
      w.close();
    }
  }

  /** Reads the candidates again, reports the leader, then follows changes from there. */
  private void restart() {
    int current;
    synchronized (this) {
      if (closed) {
        return;
      }
      current = ++generation;
    }
    try {
      PrefixSnapshot.read(client, queue).whenComplete((s, e) -> started(current, s, e));
    } catch (RuntimeException e) {
      started(current, null, e);
    }
  }

  private void started(int current, PrefixSnapshot snapshot, Throwable error) {
    synchronized (this) {
      if (closed || current != generation) {
        return;
      }
      if (error != null) {
        end(Blocking.cause(error));
        return;
      }
      candidates.clear();
      snapshot.kvs().forEach(kv -> candidates.put(ByteBuffer.wrap(kv.key()), kv));
      report();
    }
    Watch w;
    try {
      w =
          client.watch(
              WatchOptions.range(queue).fromRevision(snapshot.revision() + 1),
              new Follower(current));
    } catch (RuntimeException e) {
      synchronized (this) {
        if (!closed && current == generation) {
          end(e);
        }
      }
      return;
    }
    boolean stale;
    synchronized (this) {
      stale = closed || current != generation;
      if (!stale) {
        watch = w;
      }
    }
    if (stale) {
      w.close();
    }
  }

  /** Ends the observation for good. Under this. */
  private void end(Throwable error) {
    closed = true;
    TernException reason =
        error instanceof TernException t
            ? t
            : new TernException(ErrorCode.INTERNAL, String.valueOf(error), error);
    try {
      listener.onCancelled(reason);
    } catch (RuntimeException e) {
      LOG.warn("leader listener failed on cancel", e);
    }
  }

  /** Reports the leader of the candidates now held, unless already reported. Under this. */
  private void report() {
    KeyValue leader =
        candidates.values().stream()
            .min(Comparator.comparingLong(KeyValue::createRevision))
            .orElse(null);
    if (reportedOnce && same(leader, reportedLeader)) {
      return;
    }
    reportedOnce = true;
    reportedLeader = leader;
    try {
      listener.onLeader(Optional.ofNullable(leader));
    } catch (RuntimeException e) {
      LOG.warn("leader listener failed", e);
    }
  }

  private static boolean same(KeyValue a, KeyValue b) {
    if (a == null || b == null) {
      return a == b;
    }
    return a.modRevision() == b.modRevision() && Arrays.equals(a.key(), b.key());
  }

  /** Applies one watch's events to the candidates. */
  private final class Follower implements WatchListener {
    private final int generation;

    Follower(int generation) {
      this.generation = generation;
    }

    @Override
    public void onEvents(List<WatchEvent> events) {
      synchronized (LeaderObserver.this) {
        if (closed || generation != LeaderObserver.this.generation) {
          return;
        }
        long revision = 0;
        for (WatchEvent e : events) {
          if (revision != 0 && e.revision() != revision) {
            report(); // one report per revision: the state between two transactions
          }
          revision = e.revision();
          ByteBuffer key = ByteBuffer.wrap(e.kv().key());
          if (e.type() == WatchEvent.Type.PUT) {
            candidates.put(key, e.kv());
          } else {
            candidates.remove(key);
          }
        }
        report();
      }
    }

    @Override
    public void onCancelled(TernException reason) {
      synchronized (LeaderObserver.this) {
        if (closed || generation != LeaderObserver.this.generation) {
          return;
        }
        watch = null;
        if (!(reason instanceof RevisionOutOfRangeException)) {
          end(reason);
          return;
        }
      }
      LOG.debug(
          "leader observation fell behind compaction ({}); reading again", reason.getMessage());
      restart();
    }
  }
}
