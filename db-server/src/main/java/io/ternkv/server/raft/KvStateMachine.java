package io.ternkv.server.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ternkv.proto.raft.v1.BatchedWrite;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.server.apply.Applier;
import io.ternkv.server.apply.ApplyResult;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Raft state machine: applies log entries to the {@link KvStore}, answers reads, and takes and
 * installs snapshots.
 *
 * <p>Recovery: the store persists the applied index in the same commit as the data. Ratis replays
 * the log from the latest snapshot; entries at or below the store's persisted index are already
 * reflected and are passed over, so nothing is applied twice.
 *
 * <p>Snapshots are immutable files {@code snapshot.TERM_INDEX} in Ratis's {@code sm/} directory;
 * the live store lives outside it, because installing a snapshot replaces that whole directory.
 */
final class KvStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(KvStateMachine.class);

  private final String nodeId;
  private final Path storeFile;
  private final long commitEveryWrites;
  private final long commitEveryNanos;
  private final RaftEvents events;
  private final RecentWrites recent;
  /** Set when the node is killed: close like a crash, without committing the store. */
  private volatile boolean crashing;
  private final SimpleStateMachineStorage snapshots = new SimpleStateMachineStorage();
  private final BackgroundSnapshots background;
  private final ScheduledExecutorService committer;

  private final ApplyGate gate = new ApplyGate();
  private final AppliedWaiters waiters;
  private final java.util.List<Runnable> appliedListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Last time (nanoTime) this node had applied everything it knew to be committed. */
  private volatile long caughtUpNanos = System.nanoTime();
  private volatile RaftServer.Division division;

  private volatile KvStore store;
  private volatile Applier applier;
  private final java.util.concurrent.atomic.AtomicLong snapshotsInstalled =
      new java.util.concurrent.atomic.AtomicLong();
  /** Entries at or below this index were already in the store when it was opened. */
  private volatile long reflectedUpTo = -1;

  KvStateMachine(
      String nodeId,
      Path storeFile,
      long commitEveryWrites,
      long commitEveryNanos,
      java.util.concurrent.Executor readExecutor,
      RaftEvents events,
      RecentWrites recent) {
    this.nodeId = nodeId;
    this.recent = recent;
    this.background = new BackgroundSnapshots(nodeId, snapshots, events);
    this.events = events;
    this.waiters = new AppliedWaiters(() -> getLastAppliedTermIndex().getIndex(), readExecutor);
    this.storeFile = storeFile;
    this.commitEveryWrites = commitEveryWrites;
    this.commitEveryNanos = commitEveryNanos;
    this.committer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, nodeId + "-store-commit");
              t.setDaemon(true);
              return t;
            });
  }

  /** Makes the next {@link #close} behave like a crash: uncommitted store changes are lost. */
  void crashOnClose() {
    crashing = true;
  }

  /** Snapshots received from a leader and installed since this node started. */
  long snapshotsInstalled() {
    return snapshotsInstalled.get();
  }

  KvStore store() {
    return store;
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return snapshots;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    getLifeCycle()
        .startAndTransition(
            () -> {
              super.initialize(server, groupId, raftStorage);
              snapshots.init(raftStorage);
              openStore();
            },
            IOException.class);
    // Every commit happens here, never on the apply thread, which then waits for the store lock
    // only while MVStore writes the chunk, never for the sync after it.
    committer.scheduleWithFixedDelay(
        this::commitQuietly, COMMIT_TICK_MS, COMMIT_TICK_MS, TimeUnit.MILLISECONDS);
  }

  private void openStore() throws IOException {
    KvStore opened = KvStore.open(storeFile);
    SingleFileSnapshotInfo snapshot = snapshots.getLatestSnapshot();
    if (snapshot != null && opened.applied().index() < snapshot.getIndex()) {
      // The store is behind the newest snapshot (installed from the leader, or the store file was
      // lost): start from the snapshot.
      restore(opened, snapshot);
    }
    reflectedUpTo = opened.applied().index();
    setLastAppliedTermIndex(snapshot != null ? snapshot.getTermIndex() : TermIndex.INITIAL_VALUE);
    store = opened;
    applier = new Applier(opened);
    LOG.info(
        "{}: store {} reflects index {} revision {}; latest snapshot {}",
        nodeId,
        storeFile,
        opened.applied().index(),
        opened.applied().revision(),
        snapshot);
  }

  private void restore(KvStore target, SingleFileSnapshotInfo snapshot) throws IOException {
    Path file = snapshot.getFile().getPath();
    MD5Hash expected = snapshot.getFile().getFileDigest();
    if (expected != null) {
      MD5Hash actual = MD5FileUtil.computeMd5ForFile(file.toFile());
      if (!expected.equals(actual)) {
        throw new IOException("snapshot " + file + " fails its MD5 check");
      }
    }
    try (InputStream in = Files.newInputStream(file)) {
      AppliedState at = target.restoreSnapshot(in);
      LOG.info("{}: restored snapshot {} (index {}, {} keys)", nodeId, file, at.index(), target.size());
    }
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    gate.pass();
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    long term = entry.getTerm();
    ApplyResult result;
    if (index <= reflectedUpTo) {
      AppliedState now = store.applied();
      result = ApplyResult.at(now.revision());
    } else {
      Command command;
      try {
        command =
            Command.parseFrom(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
      } catch (InvalidProtocolBufferException e) {
        // Every node would fail the same way; stopping beats diverging.
        throw new IllegalStateException("log entry " + index + " is not a TernKV command", e);
      }
      long started = System.nanoTime();
      if (command.getOpCase() == Command.OpCase.BATCH) {
        List<ApplyResult> results = applier.applyBatch(command.getBatch(), term, index);
        events.applied(command.getOpCase(), System.nanoTime() - started);
        List<BatchedWrite> writes = command.getBatch().getWritesList();
        for (int i = 0; i < writes.size(); i++) {
          BatchedWrite w = writes.get(i);
          RecentWrites.Id id =
              RecentWrites.Id.of(w.getClientId().asReadOnlyByteBuffer(), w.getSequence());
          if (id != null) {
            recent.record(id, new WriteOutcome(results.get(i), index, term));
          }
        }
        updateLastAppliedTermIndex(term, index);
        applied(index);
        return CompletableFuture.completedFuture(
            new LocalQuery.Result(new AppliedBatch(results, term)));
      }
      result = applier.apply(command, term, index);
      events.applied(command.getOpCase(), System.nanoTime() - started);
      if (command.getOpCase() != Command.OpCase.READ) {
        // Plain entries carry the client's id as Ratis's client and call id. Reads through the
        // log change nothing: repeating a retried one is harmless, and their results can be big.
        var smEntry = entry.getStateMachineLogEntry();
        RecentWrites.Id id =
            RecentWrites.Id.of(smEntry.getClientId().asReadOnlyByteBuffer(), smEntry.getCallId());
        if (id != null) {
          recent.record(id, new WriteOutcome(result, index, term));
        }
      }
    }
    updateLastAppliedTermIndex(term, index);
    applied(index);
    return CompletableFuture.completedFuture(new LocalQuery.Result(new Applied(result, term)));
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId memberId, RaftPeerId newLeaderId) {
    // Ratis calls this only with a leader, when it differs from the one known before (or none).
    events.leaderChanged(newLeaderId.toString());
  }

  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    // Entries without data (configuration, commit metadata) advance the applied index too.
    gate.pass();
    super.notifyTermIndexUpdated(term, index);
    applied(index);
  }

  /**
   * Runs {@code listener} after every applied entry and restored snapshot, on the thread that
   * applied it: it must only hand work off, never block.
   */
  void onApplied(Runnable listener) {
    appliedListeners.add(listener);
  }

  private void applied(long index) {
    waiters.release(index);
    for (Runnable listener : appliedListeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        LOG.warn("{}: applied listener failed", nodeId, e);
      }
    }
    if (index >= commitIndex()) {
      caughtUpNanos = System.nanoTime();
    }
  }

  private long commitIndex() {
    RaftServer.Division d = division;
    if (d == null) {
      try {
        d = getServer().join().getDivision(getGroupId());
        division = d;
      } catch (IOException e) {
        return Long.MAX_VALUE;
      }
    }
    return d.getRaftLog().getLastCommittedIndex();
  }

  /** A future completing (off the apply thread) once this node applied {@code index}. */
  CompletableFuture<Void> awaitApplied(long index) {
    return waiters.await(index);
  }

  /**
   * How long this node has been behind what it knows to be committed: 0 when it has applied
   * everything it knows of.
   */
  long applyLagNanos() {
    if (getLastAppliedTermIndex().getIndex() >= commitIndex()) {
      return 0;
    }
    return System.nanoTime() - caughtUpNanos;
  }

  /** Holds the apply thread (fault tests). */
  void holdApply() {
    gate.hold();
  }

  /** Releases a held apply thread. */
  void releaseApply() {
    gate.release();
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    if (request instanceof LocalQuery q) {
      try {
        return CompletableFuture.completedFuture(q.run());
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    return CompletableFuture.failedFuture(
        new IllegalArgumentException("unsupported query " + request));
  }

  @Override
  public long takeSnapshot() {
    KvStore s = store;
    if (crashing || s == null) {
      // A crash takes no parting snapshot (Ratis asks for one when a server stops).
      return -1;
    }
    return background.poll(s);
  }

  @Override
  public void pause() {
    // Ratis replaces the whole snapshot directory next: no snapshot may be half-written there.
    background.awaitIdle();
    getLifeCycle().transition(LifeCycle.State.PAUSING);
    getLifeCycle().transition(LifeCycle.State.PAUSED);
  }

  @Override
  public void reinitialize() throws IOException {
    // Called after Ratis installed a snapshot from the leader into sm/.
    snapshots.loadLatestSnapshot();
    SingleFileSnapshotInfo snapshot = snapshots.getLatestSnapshot();
    if (snapshot != null) {
      if (store.applied().index() < snapshot.getIndex()) {
        restore(store, snapshot);
        snapshotsInstalled.incrementAndGet();
      }
      reflectedUpTo = store.applied().index();
      setLastAppliedTermIndex(snapshot.getTermIndex());
      applied(snapshot.getIndex());
    }
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  /** How often the committer checks whether a commit is due (by count or by time). */
  private static final long COMMIT_TICK_MS = 20;

  /** Revisions of compacted history removed per store lock hold. */
  private static final int COMPACT_BATCH = 256;

  private static final int COMPACT_BATCHES_PER_TICK = 40;

  private void commitQuietly() {
    KvStore s = store;
    if (s == null) {
      return;
    }
    try {
      // Remove compacted history a bounded batch at a time, so the apply thread waits briefly.
      for (int batch = 0; batch < COMPACT_BATCHES_PER_TICK && s.compactSome(COMPACT_BATCH); batch++) {
        Thread.yield();
      }
      s.commitIfDue(commitEveryWrites, commitEveryNanos);
    } catch (RuntimeException e) {
      LOG.warn("{}: background store commit failed", nodeId, e);
    }
  }

  @Override
  public void close() throws IOException {
    gate.release();
    waiters.failAll(new io.ternkv.server.UnavailableException("node " + nodeId + " is shutting down", null));
    // Not shutdownNow: interrupting a thread inside a file write or sync closes MVStore's channel
    // (ClosedByInterruptException), and the closing commit below would then fail.
    committer.shutdown();
    try {
      if (!committer.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.warn("{}: store committer still busy after 10 s; closing anyway", nodeId);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    background.close();
    KvStore s = store;
    if (s != null) {
      if (crashing) {
        s.closeWithoutCommit();
      } else {
        s.commit();
        s.close();
      }
    }
    super.close();
  }
}
