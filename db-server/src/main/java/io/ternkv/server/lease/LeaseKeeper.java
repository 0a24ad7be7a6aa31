package io.ternkv.server.lease;

import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.LeaseRevokeCommand;
import io.ternkv.proto.raft.v1.StoredLease;
import io.ternkv.server.UnavailableException;
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
   * @return the TTL in ms, or 0 when the lease does not exist or is already past its deadline
   *     (its revocation is then on its way)
   * @throws io.ternkv.server.NotLeaderException when this node is not the leader
   * @throws UnavailableException when this node leads but has not yet applied its predecessors'
   *     entries (a recent grant might be missing): retriable
   */
  public synchronized long keepAlive(long id) {
    checkReadyLeader();
    Optional<StoredLease> lease = raft.store().lease(id);
    if (lease.isEmpty() || revoking.contains(id)) {
      return 0;
    }
    long now = clock.getAsLong();
    Long deadline = deadlines.get(id);
    if (deadline != null && now - deadline >= 0) {
      return 0; // expired: the next tick revokes it; a late renewal must not revive it
    }
    long ttl = lease.get().getTtlMs();
    deadlines.put(id, now + TimeUnit.MILLISECONDS.toNanos(ttl));
    return ttl;
  }

  private void checkReadyLeader() {
    raft.checkLeader();
    if (!syncTerm()) {
      throw new UnavailableException(
          "node " + nodeId + " has just become leader and is catching up; retry", null);
    }
  }

  /**
   * Time left on a lease as this leader sees it.
   *
   * @return ms left (at least 0), or -1 when the lease does not exist
   * @throws io.ternkv.server.NotLeaderException when this node is not the leader
   */
  public synchronized long remainingMs(long id) {
    checkReadyLeader();
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

  /** One expiry check (package-private for tests). Excludes keep-alives while it decides. */
  synchronized void tick() {
    if (!syncTerm(true)) {
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
        java.util.concurrent.CompletableFuture<io.ternkv.server.raft.WriteOutcome> sent;
        try {
          sent = raft.write(revoke, null, 0);
        } catch (RuntimeException ex) {
          revoking.remove(id); // try again next tick
          LOG.warn("{}: cannot submit the expiry of lease {}: {}", nodeId, id, ex.toString());
          continue;
        }
        sent.whenComplete(
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

  /** {@link #syncTerm(boolean)} without the full reconciliation: cheap, for every keep-alive. */
  private boolean syncTerm() {
    return syncTerm(false);
  }

  /**
   * Makes {@link #deadlines} match this node's role: cleared when not leading, rebuilt for a new
   * term; with {@code reconcile} (each tick) also matched to the stored leases.
   *
   * @return whether this node is a ready leader
   */
  private synchronized boolean syncTerm(boolean reconcile) {
    if (!raft.isReadyLeader()) {
      if (term >= 0) {
        deadlines.clear();
        revoking.clear();
        term = -1;
      }
      return false;
    }
    long current = raft.term();
    if (current == term && !reconcile) {
      return true;
    }
    KvStore store = raft.store();
    long now = clock.getAsLong();
    Set<Long> stored = new HashSet<>(store.leaseIds());
    if (current != term) {
      // New leader: nobody knows when the old leader last renewed these; start them afresh,
      // with an election timeout to spare.
      deadlines.clear();
      revoking.clear();
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
