package io.ternkv.server.lease;

import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.LeaseRevokeCommand;
import io.ternkv.proto.raft.v1.StoredLease;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.storage.KvStore;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's lease clock. Deadlines live only here, in memory, on the leader:
 *
 * <ul>
 *   <li>a grant or keep-alive sets the lease's deadline to now + TTL;
 *   <li>when this node becomes leader (a new term), every lease gets now + TTL + the maximum
 *       election timeout, so a lease kept alive through the old leader survives the change;
 *   <li>every tick, a lease past its deadline is revoked through the log (one revocation in flight
 *       per lease), which deletes its keys on every node at one revision.
 * </ul>
 *
 * <p>A follower keeps no deadlines and refuses keep-alives (the client goes to the leader).
 *
 * <p>Threading: thread-safe; one scheduler thread ticks.
 */
public final class LeaseKeeper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

  /** Shortest TTL a lease may have. */
  public static final long MIN_TTL_MS = 1_000;

  /** Longest TTL a lease may have: 30 days. */
  public static final long MAX_TTL_MS = TimeUnit.DAYS.toMillis(30);

  /** How often expiry is checked; a lease ends at most this much after its deadline. */
  static final long TICK_MS = 50;

  private final String nodeId;
  private final RaftNode raft;
  private final long leaderChangeGraceNanos;
  private final LongSupplier clock;
  private final Map<Long, Long> deadlines = new ConcurrentHashMap<>();
  private final Set<Long> revoking = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService ticker;
  /** The term whose deadlines {@link #deadlines} holds; -1 when not leading. */
  private volatile long term = -1;

  /**
   * Starts ticking.
   *
   * @param leaderChangeGrace added to every lease when this node becomes leader (the maximum
   *     election timeout)
   */
  public LeaseKeeper(String nodeId, RaftNode raft, Duration leaderChangeGrace) {
    this(nodeId, raft, leaderChangeGrace, System::nanoTime);
  }

  LeaseKeeper(String nodeId, RaftNode raft, Duration leaderChangeGrace, LongSupplier clock) {
    this.nodeId = nodeId;
    this.raft = raft;
    this.leaderChangeGraceNanos = leaderChangeGrace.toNanos();
    this.clock = clock;
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, nodeId + "-lease-keeper");
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleWithFixedDelay(this::tickQuietly, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
  }

  /** A lease was just granted through this leader: its clock starts now. */
  public void granted(long id, long ttlMs) {
    if (term >= 0) {
      deadlines.put(id, clock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(ttlMs));
    }
  }

  /**
   * Renews a lease.
   *
   * @return the TTL in ms, or 0 when the lease does not exist
   * @throws io.ternkv.server.NotLeaderException when this node is not the leader
   */
  public long keepAlive(long id) {
    raft.checkLeader();
    syncTerm();
    Optional<StoredLease> lease = raft.store().lease(id);
    if (lease.isEmpty() || revoking.contains(id)) {
      return 0;
    }
    long ttl = lease.get().getTtlMs();
    deadlines.put(id, clock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(ttl));
    return ttl;
  }

  /**
   * Time left on a lease as this leader sees it.
   *
   * @return ms left (at least 0), or -1 when the lease does not exist
   * @throws io.ternkv.server.NotLeaderException when this node is not the leader
   */
  public long remainingMs(long id) {
    raft.checkLeader();
    syncTerm();
    if (raft.store().lease(id).isEmpty()) {
      return -1;
    }
    Long deadline = deadlines.get(id);
    if (deadline == null) {
      return raft.store().lease(id).get().getTtlMs();
    }
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - clock.getAsLong()));
  }

  private void tickQuietly() {
    try {
      tick();
    } catch (RuntimeException e) {
      LOG.warn("{}: lease expiry check failed", nodeId, e);
    }
  }

  /** One expiry check (package-private for tests). */
  void tick() {
    if (!syncTerm()) {
      return;
    }
    long now = clock.getAsLong();
    for (Map.Entry<Long, Long> e : deadlines.entrySet()) {
      long id = e.getKey();
      if (now - e.getValue() >= 0 && revoking.add(id)) {
        Command revoke =
            Command.newBuilder()
                .setLeaseRevoke(LeaseRevokeCommand.newBuilder().setId(id).setExpired(true))
                .build();
        raft.write(revoke, null, 0)
            .whenComplete(
                (o, error) -> {
                  revoking.remove(id);
                  if (error == null) {
                    deadlines.remove(id);
                    LOG.info("{}: lease {} expired; {} keys deleted", nodeId, id, o.result().deleted());
                  }
                });
      }
    }
  }

  /**
   * Makes {@link #deadlines} match this node's role and the stored leases.
   *
   * @return whether this node is a ready leader
   */
  private synchronized boolean syncTerm() {
    if (!raft.isReadyLeader()) {
      if (term >= 0) {
        deadlines.clear();
        term = -1;
      }
      return false;
    }
    KvStore store = raft.store();
    long now = clock.getAsLong();
    long current = raft.term();
    Set<Long> stored = new HashSet<>(store.leaseIds());
    if (current != term) {
      // New leader: nobody knows when the old leader last renewed these; start them afresh,
      // with an election timeout to spare.
      deadlines.clear();
      for (long id : stored) {
        long ttl = store.lease(id).map(StoredLease::getTtlMs).orElse(0L);
        deadlines.put(id, now + TimeUnit.MILLISECONDS.toNanos(ttl) + leaderChangeGraceNanos);
      }
      term = current;
      return true;
    }
    deadlines.keySet().retainAll(stored);
    for (long id : stored) {
      if (!deadlines.containsKey(id)) {
        long ttl = store.lease(id).map(StoredLease::getTtlMs).orElse(0L);
        deadlines.put(id, now + TimeUnit.MILLISECONDS.toNanos(ttl));
      }
    }
    return true;
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
