package io.ternkv.server.raft;

import io.ternkv.server.FailedPreconditionException;
import io.ternkv.server.HostPort;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.UnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
import org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException;
import org.apache.ratis.protocol.exceptions.SetConfigurationException;
import org.apache.ratis.protocol.exceptions.TransferLeadershipException;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;

/**
 * The group's configuration through Ratis: single Ratis steps (add a non-voting member, promote
 * it, remove a member, transfer leadership) and the leader's view of every member's replication.
 * Deciding whether a change is safe, and chaining the steps of a join, is the caller's job ({@code
 * io.ternkv.server.membership}); this class only refuses what Ratis would refuse, with our
 * exceptions: {@link FailedPreconditionException} for a conflicting change, {@link
 * io.ternkv.server.NotLeaderException} off the leader, {@link UnavailableException} when the
 * leader cannot do it now.
 *
 * <p>Every member has the same (default) priority, so Ratis lets leadership go to any voter.
 *
 * <p>Threading: thread-safe; futures complete on Ratis threads.
 */
public final class Membership {
  private final String nodeId;
  private final RaftServer server;
  private final RaftGroupId groupId;
  private final Supplier<RaftServer.Division> division;
  private final Function<Throwable, RuntimeException> translate;
  private final ClientId adminClient = ClientId.randomId();
  private final AtomicLong calls = new AtomicLong();

  Membership(
      String nodeId,
      RaftServer server,
      RaftGroupId groupId,
      Supplier<RaftServer.Division> division,
      Function<Throwable, RuntimeException> translate) {
    this.nodeId = nodeId;
    this.server = server;
    this.groupId = groupId;
    this.division = division;
    this.translate = translate;
  }

  /**
   * The group's configuration as this node knows it.
   *
   * @param voters members that vote, in the current configuration
   * @param nonVoters members that receive the log without voting (joining nodes)
   * @param changing whether a joint (old and new) configuration is being committed
   */
  public record Configuration(List<MemberSpec> voters, List<MemberSpec> nonVoters, boolean changing) {
    /** Copies the lists. */
    public Configuration {
      voters = List.copyOf(voters);
      nonVoters = List.copyOf(nonVoters);
    }

    /** The voter with this id, if any. */
    public Optional<MemberSpec> voter(String id) {
      return voters.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /** The non-voting member with this id, if any. */
    public Optional<MemberSpec> nonVoter(String id) {
      return nonVoters.stream().filter(m -> m.id().equals(id)).findFirst();
    }

    /** Voters, then non-voters. */
    public List<MemberSpec> all() {
      List<MemberSpec> all = new ArrayList<>(voters);
      all.addAll(nonVoters);
      return List.copyOf(all);
    }
  }

  /** The configuration this node knows (the newest it has, committed or not). */
  public Configuration configuration() {
    RaftConfiguration conf = division.get().getRaftConf();
    boolean changing =
        !conf.getPreviousPeers(RaftPeerRole.FOLLOWER).isEmpty()
            || !conf.getPreviousPeers(RaftPeerRole.LISTENER).isEmpty();
    return new Configuration(
        specs(conf.getCurrentPeers(RaftPeerRole.FOLLOWER)),
        specs(conf.getCurrentPeers(RaftPeerRole.LISTENER)),
        changing);
  }

  /**
   * Adds {@code member} as a non-voting member (a Ratis listener). Ratis first sends it the log
   * (or a snapshot) until it is within {@code raft.server.staging.catchup.gap} entries, then
   * commits the new configuration; the future completes then.
   *
   * @return a future failing with {@link FailedPreconditionException} when another change runs,
   *     the configuration changed since it was read, or the node made no progress (not running,
   *     wrong raft address)
   */
  public CompletableFuture<Void> addNonVoter(MemberSpec member) {
    RaftConfiguration conf = division.get().getRaftConf();
    List<RaftPeer> voters = List.copyOf(conf.getCurrentPeers(RaftPeerRole.FOLLOWER));
    List<RaftPeer> listeners = List.copyOf(conf.getCurrentPeers(RaftPeerRole.LISTENER));
    List<RaftPeer> newListeners = new ArrayList<>(listeners);
    newListeners.add(peer(member));
    return setConfiguration(voters, listeners, voters, newListeners)
        .exceptionally(
            e -> {
              if (unwrap(e) instanceof ReconfigurationTimeoutException) {
                throw new FailedPreconditionException(
                    member.id()
                        + " made no progress receiving the log at raft address "
                        + member.raftAddress()
                        + ": is it running with --join and reachable from the leader?");
              }
              throw e instanceof CompletionException ce ? ce : new CompletionException(e);
            });
  }

  /**
   * Turns the non-voting member {@code id} into a voter, in place (joint consensus: committed by a
   * majority of the old voters and of the new ones).
   *
   * <p>This relies on the joining node having started in Ratis's LISTENER role (see {@link
   * RaftNode}): Ratis 3.3 marks a follower "caught up" on the leader only when it stages it as a
   * voter, so a listener it staged keeps receiving "initializing" appends; a node that started
   * without a role would stay in its STARTING state on them, refusing votes and elections after its
   * promotion (a transfer of leadership to it times out) until the next leader change. A node
   * started as a listener is running from the start and turns follower when it applies the new
   * configuration. {@code MembershipIT} catches a regression.
   *
   * @return a future failing with {@link FailedPreconditionException} when {@code id} is not a
   *     non-voting member or another change runs
   */
  public CompletableFuture<Void> promote(String id) {
    RaftConfiguration conf = division.get().getRaftConf();
    List<RaftPeer> voters = List.copyOf(conf.getCurrentPeers(RaftPeerRole.FOLLOWER));
    List<RaftPeer> listeners = List.copyOf(conf.getCurrentPeers(RaftPeerRole.LISTENER));
    RaftPeer joining =
        listeners.stream()
            .filter(p -> p.getId().toString().equals(id))
            .findFirst()
            .orElseThrow(() -> new FailedPreconditionException(id + " is not a non-voting member"));
    List<RaftPeer> newVoters = new ArrayList<>(voters);
    newVoters.add(joining);
    return setConfiguration(voters, listeners, newVoters, without(listeners, id));
  }

  /**
   * Removes member {@code id} (voting or not). Removing this node while it leads makes Ratis close
   * it once the change commits: hand leadership over first.
   *
   * @return a future failing with {@link FailedPreconditionException} when {@code id} is not a
   *     member or another change runs
   */
  public CompletableFuture<Void> remove(String id) {
    RaftConfiguration conf = division.get().getRaftConf();
    List<RaftPeer> voters = List.copyOf(conf.getCurrentPeers(RaftPeerRole.FOLLOWER));
    List<RaftPeer> listeners = List.copyOf(conf.getCurrentPeers(RaftPeerRole.LISTENER));
    List<RaftPeer> newVoters = without(voters, id);
    List<RaftPeer> newListeners = without(listeners, id);
    if (newVoters.size() == voters.size() && newListeners.size() == listeners.size()) {
      return CompletableFuture.failedFuture(
          new FailedPreconditionException(id + " is not a member"));
    }
    return setConfiguration(voters, listeners, newVoters, newListeners);
  }

  /**
   * Makes voter {@code id} the leader: Ratis waits until it has every entry this leader has, tells
   * it to start an election at once, and answers when this node sees it lead. While it runs, this
   * leader refuses writes (clients retry).
   *
   * @return a future failing with {@link UnavailableException} when {@code id} did not take over
   *     within {@code timeout}
   */
  public CompletableFuture<Void> transferLeadership(String id, Duration timeout) {
    TransferLeadershipRequest request =
        new TransferLeadershipRequest(
            adminClient,
            server.getId(),
            groupId,
            calls.incrementAndGet(),
            RaftPeerId.valueOf(id),
            Math.max(1, timeout.toMillis()));
    CompletableFuture<RaftClientReply> sent;
    try {
      sent = server.transferLeadershipAsync(request);
    } catch (Exception e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle(
        (reply, error) -> {
          Throwable e = error != null ? closing(error) : failure(reply);
          if (e == null) {
            return null;
          }
          if (e instanceof TransferLeadershipException) {
            throw new UnavailableException(
                "leadership did not move to " + id + ": " + e.getMessage(), e);
          }
          throw translate.apply(e);
        });
  }

  /**
   * Hands leadership to the voter that has most of the log, for a clean stop: completes with its
   * id once it leads, or empty when this node does not lead, no other voter answered within {@code
   * recent}, or none took over within {@code timeout} (the node then stops anyway and the others
   * elect a leader). A refused transfer (Ratis gives up when the voter does not catch up while
   * writes keep coming) is tried again within {@code timeout}; each failure is logged.
   */
  public CompletableFuture<Optional<String>> handOffLeadership(Duration recent, Duration timeout) {
    return handOff(recent, System.nanoTime() + timeout.toNanos());
  }

  /** One hand-over attempt; a refused one is tried again (after a pause) until the deadline. */
  private CompletableFuture<Optional<String>> handOff(Duration recent, long deadlineNanos) {
    Optional<String> successor = successor(recent.toMillis());
    long left = deadlineNanos - System.nanoTime();
    if (successor.isEmpty() || left <= 0) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return transferLeadership(successor.get(), Duration.ofNanos(left))
        .handle((v, e) -> e)
        .thenCompose(
            e -> {
              if (e == null) {
                return CompletableFuture.completedFuture(successor);
              }
              LOG.info("{}: handing leadership to {} failed: {}", nodeId, successor.get(), e.toString());
              if (deadlineNanos - System.nanoTime() < RETRY_PAUSE.toNanos() * 2) {
                return CompletableFuture.completedFuture(Optional.<String>empty());
              }
              return CompletableFuture.supplyAsync(
                      () -> null,
                      CompletableFuture.delayedExecutor(
                          RETRY_PAUSE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
                  .thenCompose(x -> handOff(recent, deadlineNanos));
            });
  }

  private static final Duration RETRY_PAUSE = Duration.ofMillis(50);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Membership.class);

  /**
   * The voter (other than this node) best placed to lead next: the one with the highest match
   * index among those that answered within {@code recentMillis}; empty off the leader.
   */
  public Optional<String> successor(long recentMillis) {
    return followers().stream()
        .filter(f -> f.voter() && f.lastContactMillis() <= recentMillis)
        .max(Comparator.comparingLong(FollowerProgress::matchIndex))
        .map(FollowerProgress::id);
  }

  /** On the leader, every other member's replication progress; empty on other nodes. */
  public List<FollowerProgress> followers() {
    return ReplicationProgress.of(division.get());
  }

  private CompletableFuture<Void> setConfiguration(
      List<RaftPeer> voters,
      List<RaftPeer> listeners,
      List<RaftPeer> newVoters,
      List<RaftPeer> newListeners) {
    // COMPARE_AND_SET: refused if the configuration changed since we read it (e.g. a change made
    // through another node that led meanwhile), instead of silently undoing that change.
    SetConfigurationRequest.Arguments arguments =
        SetConfigurationRequest.Arguments.newBuilder()
            .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
            .setServersInCurrentConf(voters)
            .setListenersInCurrentConf(listeners)
            .setServersInNewConf(newVoters)
            .setListenersInNewConf(newListeners)
            .build();
    SetConfigurationRequest request =
        new SetConfigurationRequest(
            adminClient, server.getId(), groupId, calls.incrementAndGet(), arguments);
    CompletableFuture<RaftClientReply> sent;
    try {
      // Ratis may throw here (a change already in progress) instead of failing the future.
      sent = server.setConfigurationAsync(request);
    } catch (Exception e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle(
        (reply, error) -> {
          Throwable e = error != null ? closing(error) : failure(reply);
          if (e == null) {
            return null;
          }
          if (e instanceof ReconfigurationInProgressException) {
            throw new FailedPreconditionException(
                "another membership change is in progress on " + nodeId + "; retry when it is done");
          }
          if (e instanceof ReconfigurationTimeoutException rte) {
            throw new CompletionException(rte); // addNonVoter names the node
          }
          if (e instanceof SetConfigurationException) {
            throw new FailedPreconditionException(
                "the configuration changed while the request was prepared; check members and retry: "
                    + e.getMessage());
          }
          throw translate.apply(e);
        });
  }

  /** The cause of a failure; Ratis refuses work with RejectedExecutionException once closing. */
  private Throwable closing(Throwable e) {
    Throwable cause = unwrap(e);
    if (cause instanceof java.util.concurrent.RejectedExecutionException) {
      return new UnavailableException("node " + nodeId + " is shutting down", cause);
    }
    return cause;
  }

  /** The exception a reply carries, or null for a successful one. */
  private static Throwable failure(RaftClientReply reply) {
    if (reply.getNotLeaderException() != null) {
      return reply.getNotLeaderException();
    }
    if (reply.isSuccess()) {
      return null;
    }
    RaftException e = reply.getException();
    return e != null ? e : new RaftException("request failed without a reason: " + reply);
  }

  private static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static List<RaftPeer> without(List<RaftPeer> peers, String id) {
    return peers.stream().filter(p -> !p.getId().toString().equals(id)).toList();
  }

  static RaftPeer peer(MemberSpec m) {
    return peer(m, RaftPeerRole.FOLLOWER);
  }

  static RaftPeer peer(MemberSpec m, RaftPeerRole startupRole) {
    return RaftPeer.newBuilder()
        .setId(m.id())
        .setAddress(m.raftAddress().toString())
        .setClientAddress(m.clientAddress().toString())
        .setStartupRole(startupRole)
        .build();
  }

  static List<MemberSpec> specs(Collection<RaftPeer> peers) {
    List<MemberSpec> out = new ArrayList<>();
    for (RaftPeer p : peers) {
      out.add(
          new MemberSpec(
              p.getId().toString(),
              HostPort.parse(p.getClientAddress()),
              HostPort.parse(p.getAddress())));
    }
    return List.copyOf(out);
  }
}
