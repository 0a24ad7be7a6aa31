package io.ternkv.server.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.AddMemberRequest;
import io.ternkv.proto.v1.AddMemberResponse;
import io.ternkv.proto.v1.ClusterGrpc;
import io.ternkv.proto.v1.FollowerProgress;
import io.ternkv.proto.v1.Member;
import io.ternkv.proto.v1.MembersRequest;
import io.ternkv.proto.v1.MembersResponse;
import io.ternkv.proto.v1.RemoveMemberRequest;
import io.ternkv.proto.v1.RemoveMemberResponse;
import io.ternkv.proto.v1.ResponseHeader;
import io.ternkv.proto.v1.Role;
import io.ternkv.proto.v1.StatusRequest;
import io.ternkv.proto.v1.StatusResponse;
import io.ternkv.proto.v1.TransferLeaderRequest;
import io.ternkv.proto.v1.TransferLeaderResponse;
import io.ternkv.proto.v1.WaitAppliedRequest;
import io.ternkv.proto.v1.WaitAppliedResponse;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.membership.MemberChanges;
import io.ternkv.server.raft.Membership;
import io.ternkv.server.raft.NodeStatus;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.storage.AppliedState;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The {@code Cluster} service: this node's view of the group, answered locally and never
 * redirected; and membership changes, which only the leader makes (others answer with a
 * not-leader hint, see {@link MemberChanges}).
 */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private final String nodeId;
  private final RaftNode raft;
  private final MemberChanges changes;

  private final io.ternkv.server.auth.AuthGate auth;

  /** Creates the service for one node. */
  public ClusterService(String nodeId, RaftNode raft, MemberChanges changes) {
    this(nodeId, raft, changes, new io.ternkv.server.auth.AuthGate(raft::store, io.ternkv.server.auth.AuthGate.DEFAULT_TOKEN_TTL));
  }

  /** Creates the service for one node; membership changes need the root role when {@code auth} is enabled. */
  public ClusterService(String nodeId, RaftNode raft, MemberChanges changes, io.ternkv.server.auth.AuthGate auth) {
    this.auth = auth;
    this.nodeId = nodeId;
    this.raft = raft;
    this.changes = changes;
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
    try {
      NodeStatus s = raft.status();
      out.onNext(
          StatusResponse.newBuilder()
              .setHeader(header(s.term()))
              .setNodeId(nodeId)
              .setRole(role(s.role()))
              .setTerm(s.term())
              .setLeaderId(s.leaderId() == null ? "" : s.leaderId())
              .setLeaderAddress(s.leaderClientAddress() == null ? "" : s.leaderClientAddress())
              .setCommitIndex(s.commitIndex())
              .setAppliedIndex(s.appliedIndex())
              .setGroupId(s.groupId())
              .setSnapshotIndex(s.snapshotIndex())
              .setLastIndex(s.lastIndex())
              .addAllFollowers(
                  s.followers().stream()
                      .map(
                          f ->
                              FollowerProgress.newBuilder()
                                  .setId(f.id())
                                  .setVoter(f.voter())
                                  .setMatchIndex(f.matchIndex())
                                  .setLag(f.lag())
                                  .setLastContactMs(f.lastContactMillis())
                                  .build())
                      .toList())
              .setDataBytes(s.dataBytes())
              .setUptimeMs(s.uptimeMillis())
              .setSnapshotsInstalled(s.snapshotsInstalled())
              .build());
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(ErrorMapper.toStatus(nodeId, e));
    }
  }

  @Override
  public void members(MembersRequest request, StreamObserver<MembersResponse> out) {
    try {
      NodeStatus s = raft.status();
      MembersResponse.Builder b =
          MembersResponse.newBuilder()
              .setHeader(header(s.term()))
              .setLeaderId(s.leaderId() == null ? "" : s.leaderId());
      for (MemberSpec m : raft.members()) {
        b.addMembers(member(m, raft.isVoter(m.id())));
      }
      out.onNext(b.build());
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(ErrorMapper.toStatus(nodeId, e));
    }
  }

  @Override
  public void addMember(AddMemberRequest request, StreamObserver<AddMemberResponse> out) {
    io.ternkv.proto.v1.Member m = request.getMember();
    answer(
        () ->
            root("add a member").thenCompose(v -> changes.add(
                MemberChanges.parse(m.getId(), m.getClientAddress(), m.getRaftAddress()), deadlineNanos())),
        c -> AddMemberResponse.newBuilder().setHeader(header(raft.term())).addAllMembers(members(c)).build(),
        out);
  }

  @Override
  public void removeMember(RemoveMemberRequest request, StreamObserver<RemoveMemberResponse> out) {
    answer(
        () -> root("remove a member").thenCompose(v -> changes.remove(request.getId(), deadlineNanos())),
        c -> RemoveMemberResponse.newBuilder().setHeader(header(raft.term())).addAllMembers(members(c)).build(),
        out);
  }

  @Override
  public void transferLeader(TransferLeaderRequest request, StreamObserver<TransferLeaderResponse> out) {
    answer(
        () -> root("transfer leadership").thenCompose(v -> changes.transferLeadership(request.getId(), deadlineNanos())),
        leader -> TransferLeaderResponse.newBuilder().setHeader(header(raft.term())).setLeaderId(leader).build(),
        out);
  }

  /** Completes when the caller may make a cluster change, else throws (mapped by {@link #answer}). */
  private java.util.concurrent.CompletableFuture<Void> root(String operation) {
    auth.checkRoot(operation);
    return java.util.concurrent.CompletableFuture.completedFuture(null);
  }

  /** Runs a change and answers with its result or its error, without blocking this thread. */
  private <T, R> void answer(
      java.util.function.Supplier<CompletableFuture<T>> change,
      Function<T, R> response,
      StreamObserver<R> out) {
    CompletableFuture<T> f;
    try {
      f = change.get();
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete(
        (result, error) -> {
          if (error != null) {
            out.onError(ErrorMapper.toStatus(nodeId, error));
            return;
          }
          out.onNext(response.apply(result));
          out.onCompleted();
        });
  }

  /** The call's deadline as a {@link System#nanoTime()} instant. */
  private static long deadlineNanos() {
    Deadline d = Context.current().getDeadline();
    long left = d == null ? MemberChanges.DEFAULT_DEADLINE.toNanos() : d.timeRemaining(TimeUnit.NANOSECONDS);
    return System.nanoTime() + left;
  }

  private static java.util.List<Member> members(Membership.Configuration c) {
    java.util.List<Member> out = new java.util.ArrayList<>();
    for (MemberSpec m : c.voters()) {
      out.add(member(m, true));
    }
    for (MemberSpec m : c.nonVoters()) {
      out.add(member(m, false));
    }
    return out;
  }

  private static Member member(MemberSpec m, boolean voter) {
    return Member.newBuilder()
        .setId(m.id())
        .setClientAddress(m.clientAddress().toString())
        .setRaftAddress(m.raftAddress().toString())
        .setVoter(voter)
        .build();
  }

  @Override
  public void waitApplied(WaitAppliedRequest request, StreamObserver<WaitAppliedResponse> out) {
    raft.awaitApplied(request.getIndex())
        .whenComplete(
            (v, error) -> {
              if (error != null) {
                out.onError(ErrorMapper.toStatus(nodeId, error));
                return;
              }
              out.onNext(
                  WaitAppliedResponse.newBuilder()
                      .setHeader(header(raft.term()))
                      .setAppliedIndex(raft.status().appliedIndex())
                      .build());
              out.onCompleted();
            });
  }

  /** Answers at once, on any node: see {@link VoterTerms}. */
  @Override
  public void currentTerm(
      io.ternkv.proto.v1.CurrentTermRequest request,
      StreamObserver<io.ternkv.proto.v1.CurrentTermResponse> out) {
    if (io.ternkv.server.raft.Partitions.isCut(request.getFromNodeId(), nodeId)) {
      out.onError(
          io.grpc.Status.UNAVAILABLE
              .withDescription(
                  "partitioned: "
                      + request.getFromNodeId()
                      + " cannot reach "
                      + nodeId
                      + " (test partition)")
              .asRuntimeException());
      return;
    }
    long term;
    try {
      term = raft.term();
    } catch (RuntimeException e) {
      out.onError(ErrorMapper.toStatus(nodeId, e));
      return;
    }
    out.onNext(
        io.ternkv.proto.v1.CurrentTermResponse.newBuilder().setNodeId(nodeId).setTerm(term).build());
    out.onCompleted();
  }

  private ResponseHeader header(long term) {
    AppliedState at = raft.store().applied();
    return ResponseHeader.newBuilder()
        .setNodeId(nodeId)
        .setRevision(at.revision())
        .setRaftIndex(at.index())
        .setRaftTerm(term)
        .build();
  }

  private static Role role(String ratisRole) {
    return switch (ratisRole) {
      case "LEADER" -> Role.ROLE_LEADER;
      case "FOLLOWER" -> Role.ROLE_FOLLOWER;
      case "CANDIDATE" -> Role.ROLE_CANDIDATE;
      case "LISTENER" -> Role.ROLE_LISTENER;
      case "NOT_MEMBER" -> Role.ROLE_NOT_MEMBER;
      default -> Role.ROLE_UNSPECIFIED;
    };
  }
}
