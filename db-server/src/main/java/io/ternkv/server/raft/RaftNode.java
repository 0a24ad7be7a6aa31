package io.ternkv.server.raft;

import io.ternkv.proto.raft.v1.Command;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.NotLeaderException;
import io.ternkv.server.ServerConfig;
import io.ternkv.server.UnavailableException;
import io.ternkv.server.storage.KvStore;
import io.ternkv.server.tls.NodeTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.protocol.exceptions.ResourceUnavailableException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.metrics.impl.DefaultTimekeeperImpl;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.metrics.SegmentedRaftLogMetrics;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * One node's membership in the TernKV Raft group: owns the Ratis server and the state machine, and
 * turns writes and linearizable reads into Ratis requests submitted in-process (no extra client
 * hop). The only code outside this package that needs Ratis goes through this class.
 *
 * <p>Threading: all methods are thread-safe; futures complete on Ratis threads.
 */
public final class RaftNode implements AutoCloseable {
  /** Id of the single Raft group TernKV runs today; shards will add more groups. */
  public static final RaftGroupId DEFAULT_GROUP =
      RaftGroupId.valueOf(UUID.nameUUIDFromBytes("ternkv-group-0".getBytes(StandardCharsets.UTF_8)));

  private final ServerConfig config;
  private final RaftGroup group;
  private final KvStateMachine stateMachine;
  private final RaftServer server;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RaftNode.class);

  /** The lease lasts this fraction of the minimum election timeout (see {@link LeaseTracker}). */
  static final double LEASE_RATIO = 0.9;

  /** Identity for writes that arrive without a client-chosen id (e.g. from grpcurl). */
  private final ClientId anonymousClient = ClientId.randomId();
  private final AtomicLong anonymousCalls = new AtomicLong();
  private final AtomicLong readCalls = new AtomicLong();
  private final LeaseTracker lease;
  private final LeaderConfirmations confirmations;
  private final java.util.concurrent.ExecutorService readExecutor;
  private final Path storeFile;
  private final Membership membership;
  private final long startedNanos = System.nanoTime();
  private final RecentWrites recentWrites = new RecentWrites();
  private final WriteBatcher batcher;
  private final java.util.concurrent.ExecutorService batchSender;
  private final java.util.concurrent.ScheduledExecutorService freshnessTimer;
  private final FreshnessProbe freshness;
  /**
   * Whether the leader confirms LINEARIZABLE reads by asking the voters' terms (true, the default)
   * or by a no-op entry through the log; {@code -Dternkv.read.confirm=log} for measurements.
   */
  static final boolean READS_BY_TERM =
      !"log".equals(System.getProperty("ternkv.read.confirm", "term"));

  /**
   * Leadership rounds for LINEARIZABLE reads that may run at once; reads arriving meanwhile wait
   * and share the next. One measured best (fewer answers to send, more reads per round); {@code
   * -Dternkv.read.rounds-in-flight} overrides it for measurements.
   */
  static final int READ_ROUNDS_IN_FLIGHT =
      Math.max(1, Integer.getInteger("ternkv.read.rounds-in-flight", 1));

  private volatile VoterTermSource voterTerms;
  private volatile OtherVoters otherVoters;
  private final java.util.concurrent.atomic.AtomicBoolean leaseRenewing =
      new java.util.concurrent.atomic.AtomicBoolean();
  /** Identity of this node's batch entries in Ratis (each batch has its own call id). */
  private final ClientId batchClient = ClientId.randomId();
  private final AtomicLong batchCalls = new AtomicLong();

  /**
   * Entries the leader's writes may have in replication at once before new writes wait and go
   * out together as one batch; see {@link WriteBatcher}. {@code -Dternkv.write.entries-in-flight}
   * overrides it for measurements.
   */
  static final int WRITE_ENTRIES_IN_FLIGHT =
      Integer.getInteger("ternkv.write.entries-in-flight", 1);

  private RaftNode(ServerConfig config, RaftEvents events, NodeTls tls) throws IOException {
    this.config = config;
    List<RaftPeer> peers = new ArrayList<>();
    if (config.join()) {
      // A joining node knows no voters, so it forms no group of its own, and starts in Ratis's
      // LISTENER role: running, never campaigning, and turned follower by Ratis when a leader
      // promotes it (see Membership.promote for why not "no role"). Once it has data, Ratis takes
      // the configuration from its log and metadata instead.
      MemberSpec self =
          config.members().stream().filter(m -> m.id().equals(config.nodeId())).findFirst().orElseThrow();
      peers.add(Membership.peer(self, RaftPeerRole.LISTENER));
    } else {
      for (MemberSpec m : config.members()) {
        peers.add(Membership.peer(m));
      }
    }
    this.group = RaftGroup.valueOf(DEFAULT_GROUP, peers);
    this.storeFile = storeFile(config);
    this.lease = new LeaseTracker((long) (config.electionTimeoutMin().toNanos() * LEASE_RATIO));
    this.confirmations = new LeaderConfirmations(this::confirmLeadership, READ_ROUNDS_IN_FLIGHT);
    this.readExecutor =
        java.util.concurrent.Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, config.nodeId() + "-reader");
              t.setDaemon(true);
              return t;
            });
    this.stateMachine =
        new KvStateMachine(
            config.nodeId(),
            storeFile,
            config.storeCommitWrites(),
            config.storeCommitInterval().toNanos(),
            readExecutor,
            events,
            recentWrites);
    this.batchSender =
        java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, config.nodeId() + "-write-batcher");
              t.setDaemon(true);
              return t;
            });
    this.batcher =
        new WriteBatcher(
            config.nodeId(), new BatchSink(), recentWrites, batchSender, WRITE_ENTRIES_IN_FLIGHT);
    this.freshnessTimer =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, config.nodeId() + "-freshness");
              t.setDaemon(true);
              return t;
            });
    this.freshness = new FreshnessProbe(this::readIndexRound, freshnessTimer, readExecutor);
    this.server =
        RaftServer.newBuilder()
            .setServerId(RaftPeerId.valueOf(config.nodeId()))
            .setGroup(group)
            .setStateMachine(stateMachine)
            .setProperties(RaftSettings.of(config))
            .setParameters(RaftSettings.parameters(tls))
            .setOption(RaftStorage.StartupOption.RECOVER)
            .build();
    this.membership =
        new Membership(config.nodeId(), server, DEFAULT_GROUP, this::division, this::translate);
  }

  /** Where a node keeps its store file. */
  public static Path storeFile(ServerConfig config) {
    return config.dataDir().resolve("state").resolve("kv.mv.db");
  }

  /**
   * The term of a seeded snapshot. Not 0: Ratis takes a voter whose last entry has term 0 for one
   * with an empty log and refuses to count its vote (LeaderElection.nonEmptyLog), so a cluster
   * seeded at term 0 could never elect a leader.
   */
  public static final long SEED_TERM = 1;

  /** Writes a snapshot's bytes to a stream. */
  @FunctionalInterface
  public interface SnapshotWriter {
    void writeTo(java.io.OutputStream out) throws IOException;
  }

  /**
   * Prepares a new node's Raft storage so that it starts from a snapshot at ({@link
   * #SEED_TERM}, {@code index}) instead of an empty log: formats the group's storage and installs
   * the snapshot as Ratis's latest. A node started on it resumes the log after {@code index}, so
   * log indexes (and the lease ids derived from them) keep growing past those in the snapshot.
   *
   * @throws IOException when the storage cannot be written
   */
  public static void seedFromSnapshot(ServerConfig config, long index, SnapshotWriter snapshot)
      throws IOException {
    java.io.File groupDir =
        config.dataDir().resolve("raft").resolve(DEFAULT_GROUP.getUuid().toString()).toFile();
    java.nio.file.Files.createDirectories(groupDir.toPath());
    try (RaftStorage storage =
        RaftStorage.newBuilder()
            .setDirectory(groupDir)
            .setOption(RaftStorage.StartupOption.FORMAT)
            .setStorageFreeSpaceMin(org.apache.ratis.util.SizeInBytes.valueOf(0))
            .build()) {
      storage.initialize();
      org.apache.ratis.statemachine.impl.SimpleStateMachineStorage snapshots =
          new org.apache.ratis.statemachine.impl.SimpleStateMachineStorage();
      snapshots.init(storage);
      java.io.File target = snapshots.getSnapshotFile(SEED_TERM, index);
      Path tmp = target.toPath().resolveSibling(target.getName() + ".tmp");
      try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(tmp)) {
        snapshot.writeTo(out);
      }
      try (var channel = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      java.nio.file.Files.move(tmp, target.toPath(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      org.apache.ratis.util.MD5FileUtil.computeAndSaveMd5ForFile(target);
    }
  }

  /**
   * Starts the node: recovers its storage, replays the log and joins the group.
   *
   * @throws IOException when storage cannot be opened or the Raft port cannot be bound
   */
  public static RaftNode start(ServerConfig config) throws IOException {
    return start(config, RaftEvents.NONE);
  }

  /**
   * Starts the node, reporting applies, snapshots and leader changes to {@code events}.
   *
   * @throws IOException when storage cannot be opened or the Raft port cannot be bound
   */
  public static RaftNode start(ServerConfig config, RaftEvents events) throws IOException {
    return start(config, events, NodeTls.NONE);
  }

  /**
   * Starts the node with TLS on the Raft port when {@code tls} has peer certificates.
   *
   * @throws IOException when storage cannot be opened or the Raft port cannot be bound
   */
  public static RaftNode start(ServerConfig config, RaftEvents events, NodeTls tls) throws IOException {
    RaftNode node = new RaftNode(config, events, tls);
    try {
      node.server.start();
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  /** The store the state machine applies to; for local (possibly stale) reads. */
  public KvStore store() {
    return stateMachine.store();
  }

  /**
   * Replicates a command and returns once a majority has it durably and this node applied it.
   *
   * @param clientId 16-byte client identity, or null for an anonymous write (no retry dedup)
   * @param sequence the client's call sequence; with clientId it makes retries exactly-once
   * @return a future failing with {@link NotLeaderException} on a follower, {@link
   *     UnavailableException} when the write cannot be accepted now
   */
  public CompletableFuture<WriteOutcome> write(Command command, byte[] clientId, long sequence) {
    long startNanos = System.nanoTime();
    TermIndex lastBefore = division().getRaftLog().getLastEntryTermIndex();
    long lastIndexBefore = lastBefore == null ? -1 : lastBefore.getIndex();
    return batcher
        .submit(command, clientId, sequence)
        .thenApply(
            outcome -> {
              if (outcome.logIndex() > lastIndexBefore) {
                // Appended after startNanos (not a retry answered from an earlier entry): a
                // majority heard from this leader after startNanos.
                lease.extend(outcome.term(), startNanos);
                confirmations.confirmed(startNanos);
              }
              return outcome;
            });
  }

  /** How {@link WriteBatcher} reaches Ratis. */
  private final class BatchSink implements WriteBatcher.Sink {
    @Override
    public long readyTerm() {
      DivisionInfo info = info();
      long term = info.getCurrentTerm();
      if (!info.isLeader()) {
        throw notLeader(info.getLeaderId());
      }
      if (!info.isLeaderReady() || info.getCurrentTerm() != term) {
        throw new UnavailableException(
            "node " + config.nodeId() + " was just elected and is not ready for writes yet", null);
      }
      return term;
    }

    @Override
    public CompletableFuture<WriteOutcome> single(WriteBatcher.Write write) {
      ClientId cid;
      long callId;
      if (write.clientId == null) {
        cid = anonymousClient;
        callId = anonymousCalls.incrementAndGet();
      } else {
        cid = ClientId.valueOf(UnsafeByteOperations.unsafeWrap(write.clientId));
        callId = write.sequence;
      }
      Message message =
          Message.valueOf(UnsafeByteOperations.unsafeWrap(write.command.toByteArray()));
      return submit(newRequest(cid, callId, message, RaftClientRequest.writeRequestType()))
          .thenApply(
              reply -> {
                Applied applied = (Applied) ((LocalQuery.Result) reply.getMessage()).value();
                return new WriteOutcome(applied.result(), reply.getLogIndex(), applied.term());
              });
    }

    @Override
    public CompletableFuture<List<WriteOutcome>> batch(List<WriteBatcher.Write> writes) {
      io.ternkv.proto.raft.v1.BatchCommand.Builder batch =
          io.ternkv.proto.raft.v1.BatchCommand.newBuilder();
      for (WriteBatcher.Write w : writes) {
        io.ternkv.proto.raft.v1.BatchedWrite.Builder b =
            io.ternkv.proto.raft.v1.BatchedWrite.newBuilder().setCommand(w.command);
        if (w.clientId != null) {
          b.setClientId(com.google.protobuf.UnsafeByteOperations.unsafeWrap(w.clientId))
              .setSequence(w.sequence);
        }
        batch.addWrites(b);
      }
      byte[] bytes = Command.newBuilder().setBatch(batch).build().toByteArray();
      Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes));
      return submit(
              newRequest(
                  batchClient,
                  batchCalls.incrementAndGet(),
                  message,
                  RaftClientRequest.writeRequestType()))
          .thenApply(
              reply -> {
                AppliedBatch applied =
                    (AppliedBatch) ((LocalQuery.Result) reply.getMessage()).value();
                List<WriteOutcome> out = new ArrayList<>(applied.results().size());
                for (io.ternkv.server.apply.ApplyResult r : applied.results()) {
                  out.add(new WriteOutcome(r, reply.getLogIndex(), applied.term()));
                }
                return out;
              });
    }
  }

  /**
   * Runs {@code read} on local state if this node holds a valid lease, else as a linearizable read,
   * and appends a no-op entry (one at a time) to renew the lease when no write comes first.
   */
  public <T> CompletableFuture<T> readLease(Supplier<T> read) {
    return readLease(read, false);
  }

  /** As {@link #readLease(Supplier)}, with {@code cheap} as in {@link #readLinearizable(Supplier, boolean)}. */
  public <T> CompletableFuture<T> readLease(Supplier<T> read, boolean cheap) {
    DivisionInfo info = info();
    if (!info.isLeader()) {
      return CompletableFuture.failedFuture(notLeader(info.getLeaderId()));
    }
    if (info.isLeaderReady() && lease.validFor(info.getCurrentTerm())) {
      try {
        return CompletableFuture.completedFuture(read.get());
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    // Only a replicated entry renews the lease (it restarts the followers' election timers; a
    // term answer does not), so unless reads are confirmed by no-ops anyway, send one.
    if (voterTerms != null && READS_BY_TERM && leaseRenewing.compareAndSet(false, true)) {
      try {
        write(noopCommand(), null, 0).whenComplete((ok, error) -> leaseRenewing.set(false));
      } catch (RuntimeException e) {
        leaseRenewing.set(false);
      }
    }
    return readLinearizable(read, cheap);
  }

  /**
   * Lets {@code source} confirm this leader's LINEARIZABLE reads by asking the other voters' terms
   * instead of appending a no-op entry (see {@link #confirmLeadership}). Called once, before
   * clients are served; without it every confirmation is a no-op entry.
   */
  public void confirmReadsWith(VoterTermSource source) {
    this.voterTerms = source;
  }

  /**
   * One round of proof that this node still leads, for the reads waiting in {@link
   * LeaderConfirmations}; its start was taken before this call. It completes once this node has
   * applied up to the commit index it read here, after a majority of voters (this one included)
   * answered, having been asked here, that they are still in this leader's term. A voter still in
   * term T when it answered had not voted for anyone in a later term, and every later leader needs
   * the vote of one of them: so no other leader existed before the round started, and every write
   * acknowledged before it is at or below that commit index (this leader is ready, so its commit
   * index covers every earlier term's). Falls back to a no-op entry when it cannot ask (no source,
   * not ready, a membership change in its joint phase) or the answers do not make a majority.
   */
  private CompletableFuture<?> confirmLeadership() {
    VoterTermSource source = voterTerms;
    if (source == null || !READS_BY_TERM) {
      return write(noopCommand(), null, 0);
    }
    RaftServer.Division d;
    try {
      d = division();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    DivisionInfo info = d.getInfo();
    long term = info.getCurrentTerm();
    RaftConfiguration conf = d.getRaftConf();
    if (!info.isLeader() || !info.isLeaderReady() || !conf.getPreviousPeers().isEmpty()) {
      return write(noopCommand(), null, 0);
    }
    long commit = d.getRaftLog().getLastCommittedIndex();
    if (info.getCurrentTerm() != term || !info.isLeader()) {
      return write(noopCommand(), null, 0);
    }
    List<MemberSpec> others = otherVoters(conf);
    if (others == null) {
      return write(noopCommand(), null, 0); // this node is not a voter of its own configuration
    }
    List<CompletableFuture<Long>> answers = new ArrayList<>(others.size());
    for (MemberSpec voter : others) {
      answers.add(source.termOf(voter));
    }
    int needed = (others.size() + 1) / 2; // with this node, a majority of the voters
    return LeaderConfirmations.inTerm(answers, needed, term)
        .thenCompose(inTerm -> stateMachine.awaitApplied(commit))
        .exceptionallyCompose(
            error -> {
              LOG.debug("{}: voters' terms did not confirm leadership ({}); appending a no-op",
                  config.nodeId(), error.toString());
              return write(noopCommand(), null, 0).thenApply(o -> (Void) null);
            });
  }

  /** The voters of {@code conf} but this node, or null when this node is not one of them. */
  private List<MemberSpec> otherVoters(RaftConfiguration conf) {
    OtherVoters cached = otherVoters;
    if (cached != null && cached.confIndex == conf.getLogEntryIndex()) {
      return cached.voters;
    }
    java.util.Collection<RaftPeer> peers = conf.getCurrentPeers();
    List<RaftPeer> others = new ArrayList<>();
    boolean self = false;
    for (RaftPeer p : peers) {
      if (p.getId().toString().equals(config.nodeId())) {
        self = true;
      } else {
        others.add(p);
      }
    }
    List<MemberSpec> voters = self ? Membership.specs(others) : null;
    otherVoters = new OtherVoters(conf.getLogEntryIndex(), voters);
    return voters;
  }

  private record OtherVoters(long confIndex, List<MemberSpec> voters) {}

  private static Command noopCommand() {
    return Command.newBuilder().setNoop(io.ternkv.proto.raft.v1.NoopCommand.getDefaultInstance()).build();
  }

  /**
   * A future completing, off Raft's threads, once this node has applied {@code index} (every
   * entry up to it).
   */
  public CompletableFuture<Void> awaitApplied(long index) {
    return stateMachine.awaitApplied(index);
  }

  /**
   * Runs {@code listener} after every entry this node applies and every snapshot it installs, on
   * the apply thread: the listener must return at once (hand work to another thread).
   */
  public void onApplied(Runnable listener) {
    stateMachine.onApplied(listener);
  }

  /**
   * An upper estimate of how far behind the cluster this node's state may be. On a leader: the
   * time since a majority (itself included) last answered it, since a leader cut off from the
   * majority may already have been replaced (every write it acknowledged it has applied). On any
   * other node: the time since it last asked the leader for a read index that it then applied up
   * to (see {@link FreshnessProbe}); hearing the leader's heartbeats is not enough, as they arrive
   * also when the entries do not. {@link Long#MAX_VALUE} when not known.
   */
  public long stalenessMillis() {
    DivisionInfo info = info();
    if (info.isLeader()) {
      return leaderStalenessMillis(info);
    }
    long nanos = freshness.stalenessNanos();
    return nanos == Long.MAX_VALUE
        ? Long.MAX_VALUE
        : java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private long leaderStalenessMillis(DivisionInfo info) {
    org.apache.ratis.proto.RaftProtos.RoleInfoProto role = info.getRoleInfoProto();
    if (!info.isLeaderReady() || !role.hasLeaderInfo()) {
      return Long.MAX_VALUE;
    }
    java.util.Set<String> voters = new java.util.HashSet<>();
    conf().getCurrentPeers().forEach(p -> voters.add(p.getId().toString()));
    long[] elapsed =
        role.getLeaderInfo().getFollowerInfoList().stream()
            .filter(f -> voters.contains(f.getId().getId().toStringUtf8()))
            .mapToLong(f -> f.getLastRpcElapsedTimeMs())
            .sorted()
            .toArray();
    int votersBesidesMe = conf().getCurrentPeers().size() - 1;
    int needed = (votersBesidesMe + 1) / 2; // followers that, with this node, make a majority
    if (needed == 0) {
      return 0;
    }
    return elapsed.length < needed ? Long.MAX_VALUE : elapsed[needed - 1];
  }

  /**
   * Completes once this node's state is at most {@code maxStalenessMillis} behind the cluster (see
   * {@link #stalenessMillis}): at once when it already is, else, on a follower, off Raft's threads
   * once a read index shows it. Fails with an {@link UnavailableException} naming the bound when
   * that is not shown within {@code waitNanos} (on a leader: at once).
   */
  public CompletableFuture<Void> awaitFresh(long maxStalenessMillis, long waitNanos) {
    DivisionInfo info = info();
    CompletableFuture<Void> fresh;
    if (info.isLeader()) {
      fresh =
          leaderStalenessMillis(info) <= maxStalenessMillis
              ? CompletableFuture.completedFuture(null)
              : CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException());
    } else {
      fresh =
          freshness.awaitFresh(
              java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(maxStalenessMillis), waitNanos);
    }
    if (fresh.isDone() && !fresh.isCompletedExceptionally()) {
      return fresh;
    }
    return fresh.exceptionally(
        error -> {
          long staleness = stalenessMillis();
          throw new UnavailableException(
              "node "
                  + config.nodeId()
                  + " may be "
                  + (staleness == Long.MAX_VALUE ? "arbitrarily far" : staleness + " ms")
                  + " behind the leader, more than max_staleness "
                  + maxStalenessMillis
                  + " ms",
              null);
        });
  }

  /**
   * A ReadIndex round with nothing to read: completes once this node has applied up to the commit
   * index the leader had when it answered.
   */
  private CompletableFuture<?> readIndexRound() {
    return submit(
        newRequest(
            anonymousClient,
            readCalls.incrementAndGet(),
            new LocalQuery(() -> Boolean.TRUE),
            RaftClientRequest.readRequestType()));
  }

  /** Holds this node's apply thread so it falls behind its log (fault tests). */
  public void holdApply() {
    stateMachine.holdApply();
  }

  /** Lets a held apply thread go on. */
  public void releaseApply() {
    stateMachine.releaseApply();
  }

  /**
   * Runs {@code read} once this node is sure it reflects every write acknowledged before the call:
   * an entry this leader appended after the call arrived has committed and been applied here (a
   * write, or a no-op shared by the reads waiting: see {@link LeaderConfirmations}); every write
   * acknowledged before the call is at a lower index. Ratis's ReadIndex is not used: it answers
   * without asking a majority when its commit index was acknowledged before, which a leader cut off
   * from the majority keeps doing until it steps down.
   *
   * @return a future failing with {@link NotLeaderException} when this node is not the leader
   */
  public <T> CompletableFuture<T> readLinearizable(Supplier<T> read) {
    return readLinearizable(read, false);
  }

  /**
   * As {@link #readLinearizable(Supplier)}; with {@code cheap} (a point read that returns within
   * microseconds) {@code read} runs on the thread that completes the confirmation, else on the
   * node's reader pool.
   */
  public <T> CompletableFuture<T> readLinearizable(Supplier<T> read, boolean cheap) {
    long arrived = System.nanoTime();
    if (!info().isLeader()) {
      return CompletableFuture.failedFuture(notLeader(info().getLeaderId()));
    }
    CompletableFuture<Void> confirmed = confirmations.after(arrived);
    // A point read is cheaper than a hand-off to another thread, so it runs where the round ends;
    // anything longer must not hold back the other reads that round released.
    return cheap
        ? confirmed.thenApply(v -> read.get())
        : confirmed.thenApplyAsync(v -> read.get(), readExecutor);
  }

  /**
   * Fails with {@link NotLeaderException} unless this node currently believes it is the leader.
   * A cheap early redirect; the write path checks again inside Ratis.
   */
  public void checkLeader() {
    DivisionInfo info = info();
    if (!info.isLeader()) {
      throw notLeader(info.getLeaderId());
    }
  }

  private RaftClientRequest newRequest(
      ClientId clientId, long callId, Message message, RaftClientRequest.Type type) {
    return RaftClientRequest.newBuilder()
        .setClientId(clientId)
        .setServerId(server.getId())
        .setGroupId(group.getGroupId())
        .setCallId(callId)
        .setMessage(message)
        .setType(type)
        .build();
  }

  private CompletableFuture<RaftClientReply> submit(RaftClientRequest request) {
    CompletableFuture<RaftClientReply> sent;
    try {
      // The server proxy would hand the request to its client thread pool and block this thread
      // until that thread has submitted it: two thread switches per request for nothing. The
      // division (Ratis's RaftServerImpl) takes it directly.
      if (division() instanceof RaftClientAsynchronousProtocol direct) {
        sent = direct.submitClientRequestAsync(request);
      } else {
        sent = server.submitClientRequestAsync(request);
      }
    } catch (IOException e) {
      return CompletableFuture.failedFuture(
          new UnavailableException("node " + config.nodeId() + " cannot accept requests: " + e, e));
    }
    return sent.handle(
        (reply, error) -> {
          if (error != null) {
            throw translate(error);
          }
          if (reply.getNotLeaderException() != null) {
            RaftPeer suggested = reply.getNotLeaderException().getSuggestedLeader();
            throw notLeader(suggested == null ? null : suggested.getId());
          }
          if (!reply.isSuccess()) {
            throw translate(reply.getException());
          }
          return reply;
        });
  }

  private RuntimeException translate(Throwable error) {
    Throwable e = error;
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof NotLeaderException || e instanceof UnavailableException) {
      return (RuntimeException) e;
    }
    if (e instanceof org.apache.ratis.protocol.exceptions.NotLeaderException nle) {
      RaftPeer suggested = nle.getSuggestedLeader();
      return notLeader(suggested == null ? null : suggested.getId());
    }
    if (e instanceof ResourceUnavailableException) {
      return new io.ternkv.server.ServerBusyException(
          "node " + config.nodeId() + " is over its pending-request limit; retry later", e);
    }
    if (e instanceof RaftException || e instanceof IOException) {
      // Leader not ready, stepping down, read index timed out, closed: all transient.
      return new UnavailableException(
          "node " + config.nodeId() + " cannot serve the request now: " + e.getMessage(), e);
    }
    if (e instanceof RuntimeException re) {
      return re;
    }
    return new IllegalStateException(e);
  }

  private NotLeaderException notLeader(RaftPeerId leaderId) {
    if (leaderId == null) {
      return new NotLeaderException(config.nodeId(), null, null);
    }
    RaftPeer leader = conf().getPeer(leaderId);
    String address = leader == null ? null : leader.getClientAddress();
    return new NotLeaderException(config.nodeId(), leaderId.toString(), address);
  }

  /**
   * Ratis's measurement of this node's log syncs, {@link LogSync#NONE} before the division is
   * open or when the configured metrics implementation does not expose it.
   */
  public LogSync logSync() {
    try {
      RaftLog log = division().getRaftLog();
      if (log.getRaftLogMetrics() instanceof SegmentedRaftLogMetrics metrics
          && metrics.getSyncTimer() instanceof DefaultTimekeeperImpl keeper) {
        var timer = keeper.getTimer();
        var sample = timer.getSnapshot();
        double nanos = 1e-9;
        return new LogSync(
            timer.getCount(),
            sample.getMedian() * nanos,
            sample.get99thPercentile() * nanos,
            sample.getMax() * nanos);
      }
    } catch (RuntimeException e) {
      // Closed or not yet started: nothing to report.
    }
    return LogSync.NONE;
  }

  private RaftServer.Division division() {
    try {
      return server.getDivision(group.getGroupId());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private DivisionInfo info() {
    return division().getInfo();
  }

  private RaftConfiguration conf() {
    return division().getRaftConf();
  }

  /** This node's current view of the group. */
  public NodeStatus status() {
    RaftServer.Division d = division();
    DivisionInfo info = d.getInfo();
    if (!info.isAlive()) {
      // Ratis closes a removed member's division when the leader tells it to stop campaigning.
      return new NodeStatus(
          "NOT_MEMBER", info.getCurrentTerm(), null, null, -1, info.getLastAppliedIndex(), -1,
          group.getGroupId().getUuid().toString(), stateMachine.snapshotsInstalled(), -1, List.of(),
          storeBytes(), java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
    }
    RaftPeerId leaderId = info.getLeaderId();
    RaftPeer leader = leaderId == null ? null : d.getRaftConf().getPeer(leaderId);
    SnapshotInfo snapshot = stateMachine.getLatestSnapshot();
    org.apache.ratis.server.protocol.TermIndex last = d.getRaftLog().getLastEntryTermIndex();
    return new NodeStatus(
        role(d),
        info.getCurrentTerm(),
        leaderId == null ? null : leaderId.toString(),
        leader == null ? null : leader.getClientAddress(),
        d.getRaftLog().getLastCommittedIndex(),
        info.getLastAppliedIndex(),
        snapshot == null ? -1 : snapshot.getIndex(),
        group.getGroupId().getUuid().toString(),
        stateMachine.snapshotsInstalled(),
        last == null ? -1 : last.getIndex(),
        membership.followers(),
        storeBytes(),
        java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
  }

  /**
   * LEADER or CANDIDATE as Ratis says; otherwise what the configuration makes this node, since
   * Ratis's own role can lag it (a removed follower still calls itself FOLLOWER, a node waiting to
   * join calls itself LISTENER).
   */
  private static String role(RaftServer.Division d) {
    DivisionInfo info = d.getInfo();
    if (info.isLeader() || info.isCandidate()) {
      return info.getCurrentRole().name();
    }
    RaftConfiguration conf = d.getRaftConf();
    if (conf.getPeer(d.getId(), RaftPeerRole.FOLLOWER) != null) {
      return "FOLLOWER";
    }
    // A joining node lists itself as a listener until a leader's configuration replaces that.
    if (conf.getPeer(d.getId(), RaftPeerRole.LISTENER) != null && conf.getLogEntryIndex() >= 0) {
      return "LISTENER";
    }
    return "NOT_MEMBER";
  }

  private long storeBytes() {
    try {
      return java.nio.file.Files.size(storeFile);
    } catch (IOException e) {
      return -1;
    }
  }

  /** Membership changes and the leader's view of replication. */
  public Membership membership() {
    return membership;
  }

  /** Whether this node leads and has committed an entry of its term, so it can serve. */
  public boolean isReadyLeader() {
    DivisionInfo info = info();
    return info.isLeader() && info.isLeaderReady();
  }

  /** Current term, as this node knows it. */
  public long term() {
    return info().getCurrentTerm();
  }

  /**
   * The group's members as this node knows them: voters (of the old and the new configuration
   * while a change commits), then non-voting members.
   */
  public List<MemberSpec> members() {
    RaftConfiguration conf = conf();
    if (config.join() && conf.getLogEntryIndex() < 0) {
      return List.of(); // not added yet: its own placeholder configuration is no membership
    }
    List<MemberSpec> out =
        new ArrayList<>(Membership.specs(conf.getAllPeers(RaftPeerRole.FOLLOWER)));
    out.addAll(Membership.specs(conf.getAllPeers(RaftPeerRole.LISTENER)));
    return List.copyOf(out);
  }

  /** Whether the member is a voter in the current configuration. */
  public boolean isVoter(String id) {
    return conf().getCurrentPeers().stream().anyMatch(p -> p.getId().toString().equals(id));
  }

  @Override
  public void close() throws IOException {
    batcher.close();
    try {
      server.close();
    } finally {
      readExecutor.shutdownNow();
      batchSender.shutdownNow();
      freshnessTimer.shutdownNow();
    }
  }

  /**
   * Stops like a crash: the store keeps only what it had committed, so the restarted node must
   * replay the rest from the log. For fault tests; the Raft log itself is already durable.
   */
  public void crash() throws IOException {
    stateMachine.crashOnClose();
    close();
  }
}
