package io.ternkv.server.membership;

import io.ternkv.server.FailedPreconditionException;
import io.ternkv.server.HostPort;
import io.ternkv.server.InvalidRequestException;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.UnavailableException;
import io.ternkv.server.raft.Membership;
import io.ternkv.server.raft.Membership.Configuration;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.tls.NodeTls;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership changes as an operator asks for them, on the leader: checks that a change is safe,
 * runs one at a time, and chains the steps of a join.
 *
 * <p>A join: the node (started with {@code --join}) must answer at the client address given, as
 * the id given and not yet in a group; it becomes a non-voting member and receives the log or a
 * snapshot; once it has applied everything committed when it became one (asked over its client
 * port too), it is promoted to voter. Waiting for apply,
 * not just for the log, matters: a voter that has not applied would hold up every WRITE_ALL write.
 * A join cut short (deadline, leader change) leaves a non-voting member; {@code add} with the same
 * addresses finishes it, {@code remove} abandons it, and until then no other change is accepted.
 *
 * <p>Refused with {@link FailedPreconditionException}: a change while another runs on this leader
 * or a joint configuration is being committed, adding an existing voter or an address already in
 * use, removing the last voter or a non-member, transferring leadership to a non-member or a
 * non-voting member. Off the leader every request fails with {@link
 * io.ternkv.server.NotLeaderException}, so clients follow it to the leader.
 *
 * <p>Threading: thread-safe; never blocks the caller on replication (futures complete on Ratis or
 * gRPC threads).
 */
public final class MemberChanges {
  private static final Logger LOG = LoggerFactory.getLogger(MemberChanges.class);

  /** How long a change may take when the request carries no deadline. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofMinutes(10);

  private final String nodeId;
  private final RaftNode raft;
  private final NodeTls tls;
  private final Membership membership;
  private final Duration transferTimeout;
  private final Duration electionTimeoutMax;
  /** The change running on this node, or null. */
  private final AtomicReference<String> running = new AtomicReference<>();

  /**
   * @param tls how to reach a joining node's client port (TLS when this node's is)
   * @param electionTimeoutMax the group's longest election timeout; a leadership transfer may take
   *     five of them (the new leader must catch up and win an election) before it is given up
   */
  public MemberChanges(String nodeId, RaftNode raft, NodeTls tls, Duration electionTimeoutMax) {
    this.nodeId = nodeId;
    this.raft = raft;
    this.tls = tls;
    this.membership = raft.membership();
    this.transferTimeout = electionTimeoutMax.multipliedBy(5);
    this.electionTimeoutMax = electionTimeoutMax;
  }

  /**
   * Checks and builds a member from its id and addresses.
   *
   * @throws InvalidRequestException when the id or an address is malformed, a port is 0, or both
   *     addresses are the same
   */
  public static MemberSpec parse(String id, String clientAddress, String raftAddress) {
    try {
      MemberSpec m = new MemberSpec(id, HostPort.parse(clientAddress), HostPort.parse(raftAddress));
      if (m.clientAddress().port() == 0 || m.raftAddress().port() == 0) {
        throw new IllegalArgumentException("member " + id + " needs real ports, not 0");
      }
      if (m.clientAddress().equals(m.raftAddress())) {
        throw new IllegalArgumentException(
            "member " + id + " needs different client and raft addresses, not " + m.clientAddress() + " twice");
      }
      return m;
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(e.getMessage());
    }
  }

  /**
   * Adds a node started with {@code --join}, as described above.
   *
   * @param deadlineNanos {@link System#nanoTime()} by which to give up; a join not finished then
   *     leaves a non-voting member
   * @return a future of the configuration once the node votes
   */
  public CompletableFuture<Configuration> add(MemberSpec member, long deadlineNanos) {
    String id = member.id();
    long giveUp = giveUpAt(deadlineNanos);
    return exclusive(
        "adding " + id,
        () -> {
          Configuration c = stable();
          if (c.voter(id).isPresent()) {
            throw new FailedPreconditionException(id + " is already a voter: " + c.voter(id).get());
          }
          Optional<MemberSpec> joining = c.nonVoter(id);
          CompletableFuture<Void> listening;
          if (joining.isPresent()) {
            if (!joining.get().equals(member)) {
              throw new FailedPreconditionException(
                  id + " is already joining as " + joining.get() + "; remove it first to use other addresses");
            }
            LOG.info("{}: finishing the join of {}", nodeId, member);
            listening = JoiningNode.checkReady(tls, member, giveUp);
          } else {
            refuseUnfinishedJoin(c, id);
            for (MemberSpec m : c.all()) {
              for (HostPort a : List.of(member.clientAddress(), member.raftAddress())) {
                if (a.equals(m.clientAddress()) || a.equals(m.raftAddress())) {
                  throw new FailedPreconditionException("address " + a + " is already used by " + m.id());
                }
              }
            }
            LOG.info("{}: adding {} as a non-voting member", nodeId, member);
            listening =
                JoiningNode.checkReady(tls, member, giveUp).thenCompose(v -> membership.addNonVoter(member));
          }
          return listening
              .thenCompose(v -> JoiningNode.awaitApplied(tls, member, raft.status().commitIndex(), giveUp))
              .thenCompose(
                  applied -> {
                    if (System.nanoTime() >= giveUp) {
                      throw unfinished(id, "ran out of time before it could be promoted");
                    }
                    LOG.info("{}: {} applied up to {}; promoting it to voter", nodeId, id, applied);
                    return membership.promote(id);
                  })
              .thenApply(
                  v -> {
                    LOG.info("{}: {} is a voter", nodeId, id);
                    return membership.configuration();
                  });
        });
  }

  /**
   * Removes a member. Removing this node (the leader) first hands leadership to the most
   * up-to-date other voter and then fails with {@link io.ternkv.server.NotLeaderException} naming
   * it, so the client sends the request there.
   *
   * @return a future of the configuration without the member
   */
  public CompletableFuture<Configuration> remove(String id, long deadlineNanos) {
    checkId(id);
    return exclusive(
        "removing " + id,
        () -> {
          Configuration c = stable();
          boolean voter = c.voter(id).isPresent();
          if (!voter && c.nonVoter(id).isEmpty()) {
            throw new FailedPreconditionException(id + " is not a member; members: " + ids(c));
          }
          if (voter) {
            refuseUnfinishedJoin(c, id);
            if (c.voters().size() == 1) {
              throw new FailedPreconditionException(
                  id + " is the last voter; a cluster cannot remove its last voter");
            }
          }
          if (id.equals(nodeId)) {
            String successor =
                membership
                    .successor(electionTimeoutMax.toMillis())
                    .orElseThrow(
                        () ->
                            new UnavailableException(
                                "no other voter answers " + nodeId + " to take over its leadership before it is removed", null));
            LOG.info("{}: handing leadership to {} before removing itself", nodeId, successor);
            return membership
                .transferLeadership(successor, timeLeft(deadlineNanos, transferTimeout))
                .thenApply(
                    v -> {
                      raft.checkLeader(); // throws, naming the new leader, which removes this node
                      throw new UnavailableException(nodeId + " still leads; retry", null);
                    });
          }
          LOG.info("{}: removing {}", nodeId, id);
          return membership
              .remove(id)
              .thenApply(
                  v -> {
                    LOG.info("{}: removed {}", nodeId, id);
                    return membership.configuration();
                  });
        });
  }

  /**
   * Makes voter {@code id} the leader.
   *
   * @return a future of the new leader's id, once this node sees it lead
   */
  public CompletableFuture<String> transferLeadership(String id, long deadlineNanos) {
    checkId(id);
    return exclusive(
        "transferring leadership to " + id,
        () -> {
          Configuration c = stable();
          if (c.nonVoter(id).isPresent()) {
            throw new FailedPreconditionException(
                id + " is not a voter yet (it is joining); leadership can only go to a voter");
          }
          if (c.voter(id).isEmpty()) {
            throw new FailedPreconditionException(id + " is not a member; members: " + ids(c));
          }
          if (id.equals(nodeId)) {
            return CompletableFuture.completedFuture(id);
          }
          LOG.info("{}: transferring leadership to {}", nodeId, id);
          return membership.transferLeadership(id, timeLeft(deadlineNanos, transferTimeout)).thenApply(v -> id);
        });
  }

  /** Runs {@code change} unless another change runs on this node; never throws. */
  private <T> CompletableFuture<T> exclusive(String what, Supplier<CompletableFuture<T>> change) {
    try {
      raft.checkLeader();
      if (!running.compareAndSet(null, what)) {
        throw new FailedPreconditionException(
            "another membership change is in progress (" + running.get() + "); one change at a time");
      }
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> f;
    try {
      f = change.get();
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    // Released before the caller hears back, so a client may send its next change at once.
    return f.whenComplete((v, e) -> running.set(null));
  }

  private Configuration stable() {
    Configuration c = membership.configuration();
    if (c.changing()) {
      throw new FailedPreconditionException(
          "a configuration change is being committed; retry when members shows it done");
    }
    return c;
  }

  private static void refuseUnfinishedJoin(Configuration c, String exceptId) {
    for (MemberSpec m : c.nonVoters()) {
      if (!m.id().equals(exceptId)) {
        throw new FailedPreconditionException(
            m.id() + " has not finished joining (it does not vote yet): finish it with 'member add "
                + m.id() + " " + m.clientAddress() + "/" + m.raftAddress() + "' or remove it first");
      }
    }
  }

  static UnavailableException unfinished(String id, String why) {
    return new UnavailableException(
        id + " " + why + "; it stays a non-voting member: run member add again to finish the join,"
            + " or member remove " + id + " to abandon it", null);
  }

  private static void checkId(String id) {
    try {
      MemberSpec.checkId(id);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(e.getMessage());
    }
  }

  private static String ids(Configuration c) {
    return c.all().stream().map(MemberSpec::id).collect(Collectors.joining(", "));
  }

  /**
   * When to stop waiting: a little before the caller's deadline, so that the reason reaches it
   * instead of its own timeout.
   */
  static long giveUpAt(long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    return deadlineNanos - Math.min(TimeUnit.SECONDS.toNanos(1), Math.max(0, left / 10));
  }

  private static Duration timeLeft(long deadlineNanos, Duration atMost) {
    long left = Math.max(1, giveUpAt(deadlineNanos) - System.nanoTime());
    return Duration.ofNanos(Math.min(left, atMost.toNanos()));
  }
}
