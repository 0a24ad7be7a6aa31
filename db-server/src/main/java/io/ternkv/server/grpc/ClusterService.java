package io.ternkv.server.grpc;

import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.ClusterGrpc;
import io.ternkv.proto.v1.Member;
import io.ternkv.proto.v1.MembersRequest;
import io.ternkv.proto.v1.MembersResponse;
import io.ternkv.proto.v1.ResponseHeader;
import io.ternkv.proto.v1.Role;
import io.ternkv.proto.v1.StatusRequest;
import io.ternkv.proto.v1.StatusResponse;
import io.ternkv.proto.v1.WaitAppliedRequest;
import io.ternkv.proto.v1.WaitAppliedResponse;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.raft.NodeStatus;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.storage.AppliedState;

/** The {@code Cluster} service: this node's view of the group; answered locally, never redirected. */
public final class ClusterService extends ClusterGrpc.ClusterImplBase {
  private final String nodeId;
  private final RaftNode raft;

  /** Creates the service for one node. */
  public ClusterService(String nodeId, RaftNode raft) {
    this.nodeId = nodeId;
    this.raft = raft;
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
        b.addMembers(
            Member.newBuilder()
                .setId(m.id())
                .setClientAddress(m.clientAddress().toString())
                .setRaftAddress(m.raftAddress().toString())
                .setVoter(raft.isVoter(m.id())));
      }
      out.onNext(b.build());
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(ErrorMapper.toStatus(nodeId, e));
    }
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
      default -> Role.ROLE_UNSPECIFIED;
    };
  }
}
