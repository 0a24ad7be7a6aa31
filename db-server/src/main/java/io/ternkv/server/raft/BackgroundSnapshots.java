package io.ternkv.server.raft;

import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes snapshot files on a thread of its own, from a pinned view of the store, so that applies
 * go on while a snapshot is written (a synchronous snapshot held the apply thread for the time it
 * took to write the whole store and its history, and to read the file again for its MD5).
 *
 * <p>Ratis asks for a snapshot on the apply thread ({@code takeSnapshot}) and wants back the index
 * of one it may purge the log up to. {@link #poll} answers -1 ("none yet") while it starts or
 * waits for a background snapshot, and the finished snapshot's index on the next call after it is
 * done; Ratis keeps asking after every applied entry until then. A finished snapshot is published
 * in the state machine storage at once, so followers that need one get it.
 *
 * <p>Threading: {@link #poll} from the apply thread; {@link #awaitIdle} and {@link #close} from
 * any.
 */
final class BackgroundSnapshots {
  private static final Logger LOG = LoggerFactory.getLogger(BackgroundSnapshots.class);

  private final String nodeId;
  private final SimpleStateMachineStorage snapshots;
  private final RaftEvents events;
  private final ExecutorService writer;
  private Future<?> running; // under this
  /** After a failed snapshot, no new one before this (nanoTime), so a full disk is not hammered. */
  private volatile long retryAfterNanos = System.nanoTime();

  /** Pause after a failed snapshot. */
  static final long RETRY_PAUSE_NANOS = TimeUnit.SECONDS.toNanos(10);
  /** Index of a finished snapshot Ratis has not been told about; -1 for none. */
  private volatile long finished = -1;

  BackgroundSnapshots(String nodeId, SimpleStateMachineStorage snapshots, RaftEvents events) {
    this.nodeId = nodeId;
    this.snapshots = snapshots;
    this.events = events;
    this.writer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, nodeId + "-snapshot");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Answers Ratis's request for a snapshot: the index of one finished since the last call, or -1
   * after starting one from the store's current view (unless one is being written, or the store
   * reflects nothing newer than the latest snapshot).
   */
  synchronized long poll(KvStore store) {
    long done = finished;
    if (done >= 0) {
      finished = -1;
      return done;
    }
    if (running != null && !running.isDone() || System.nanoTime() - retryAfterNanos < 0) {
      return -1;
    }
    SingleFileSnapshotInfo latest = snapshots.getLatestSnapshot();
    if (store.applied().index() <= (latest == null ? -1 : latest.getIndex())) {
      return -1;
    }
    KvStore.Pinned pinned = store.pin();
    running = writer.submit(() -> write(pinned));
    return -1;
  }

  /** Waits until no snapshot is being written (before Ratis replaces the snapshot directory). */
  void awaitIdle() {
    Future<?> current;
    synchronized (this) {
      current = running;
    }
    if (current == null) {
      return;
    }
    try {
      current.get();
    } catch (ExecutionException e) {
      // Logged by the task.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops writing; a snapshot cut short leaves only a temporary file, removed at once. */
  void close() {
    writer.shutdownNow();
    try {
      writer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void write(KvStore.Pinned pinned) {
    Path tmp = null;
    try (pinned) {
      AppliedState at = pinned.view().applied();
      File target = snapshots.getSnapshotFile(at.term(), at.index());
      tmp = target.toPath().resolveSibling(target.getName() + ".tmp");
      long started = System.nanoTime();
      MessageDigest md5 = MD5FileUtil.newMD5();
      try (OutputStream out =
          new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16), md5)) {
        KvStore.writeSnapshot(pinned.view(), out);
      }
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      Files.move(tmp, target.toPath(), StandardCopyOption.ATOMIC_MOVE);
      MD5Hash digest = MD5Hash.newInstance(md5.digest());
      MD5FileUtil.saveMD5File(target, digest);
      snapshots.updateLatestSnapshot(
          new SingleFileSnapshotInfo(
              new FileInfo(target.toPath(), digest), TermIndex.valueOf(at.term(), at.index())));
      finished = at.index();
      long bytes = Files.size(target.toPath());
      long nanos = System.nanoTime() - started;
      events.snapshotTaken(bytes, nanos);
      LOG.info(
          "{}: snapshot at index {} ({} keys, {} bytes) in {} ms",
          nodeId,
          at.index(),
          pinned.view().keyCount(),
          bytes,
          TimeUnit.NANOSECONDS.toMillis(nanos));
    } catch (IOException | RuntimeException e) {
      if (writer.isShutdown()) {
        LOG.info("{}: snapshot cut short by shutdown", nodeId);
      } else {
        LOG.warn("{}: snapshot failed; trying again in 10 s at the earliest", nodeId, e);
        retryAfterNanos = System.nanoTime() + RETRY_PAUSE_NANOS;
      }
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // Left for the next start: a .tmp file is never taken for a snapshot.
        }
      }
    }
  }
}
