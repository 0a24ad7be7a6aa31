package io.ternkv.client;

import io.ternkv.proto.v1.StatusResponse;
import java.util.Optional;

/** Conversions between the wire types and the public API, kept in one place. */
final class Wire {
  private Wire() {}

  static io.ternkv.proto.v1.ReadConsistency read(ReadConsistency c) {
    return switch (c) {
      case LINEARIZABLE -> io.ternkv.proto.v1.ReadConsistency.READ_LINEARIZABLE;
      case LEASE -> io.ternkv.proto.v1.ReadConsistency.READ_LEASE;
      case SESSION -> io.ternkv.proto.v1.ReadConsistency.READ_SESSION;
      case STALE -> io.ternkv.proto.v1.ReadConsistency.READ_STALE;
      case LOG -> io.ternkv.proto.v1.ReadConsistency.READ_LOG;
    };
  }

  static io.ternkv.proto.v1.WriteConsistency write(WriteConsistency c) {
    return switch (c) {
      case MAJORITY -> io.ternkv.proto.v1.WriteConsistency.WRITE_MAJORITY;
      case ALL -> io.ternkv.proto.v1.WriteConsistency.WRITE_ALL;
    };
  }

  static KeyValue keyValue(io.ternkv.proto.v1.KeyValue kv) {
    return new KeyValue(
        kv.getKey(), kv.getValue(), kv.getCreateRevision(), kv.getModRevision(), kv.getVersion(), kv.getLease());
  }

  static TxnResult txnResult(io.ternkv.proto.v1.TxnResponse r, ResponseHeader header) {
    java.util.List<TxnResult.OpResult> results = new java.util.ArrayList<>(r.getResultsCount());
    for (io.ternkv.proto.v1.TxnOpResult op : r.getResultsList()) {
      results.add(
          switch (op.getResultCase()) {
            case DELETE -> new TxnResult.OpResult(op.getDelete().getDeleted(), java.util.List.of(), false);
            case RANGE -> new TxnResult.OpResult(
                0,
                op.getRange().getKvsList().stream().map(Wire::keyValue).toList(),
                op.getRange().getMore());
            case PUT, RESULT_NOT_SET -> new TxnResult.OpResult(0, java.util.List.of(), false);
          });
    }
    return new TxnResult(r.getSucceeded(), results, header);
  }

  static Member member(io.ternkv.proto.v1.Member m) {
    return new Member(m.getId(), m.getClientAddress(), m.getRaftAddress(), m.getVoter());
  }

  static ClusterStatus status(StatusResponse r) {
    Role role =
        switch (r.getRole()) {
          case ROLE_LEADER -> Role.LEADER;
          case ROLE_FOLLOWER -> Role.FOLLOWER;
          case ROLE_CANDIDATE -> Role.CANDIDATE;
          case ROLE_LISTENER -> Role.LISTENER;
          case ROLE_NOT_MEMBER -> Role.NOT_MEMBER;
          default -> Role.UNKNOWN;
        };
    return new ClusterStatus(
        r.getNodeId(),
        role,
        r.getTerm(),
        r.getLeaderId().isEmpty() ? Optional.empty() : Optional.of(r.getLeaderId()),
        r.getLeaderAddress().isEmpty() ? Optional.empty() : Optional.of(r.getLeaderAddress()),
        r.getCommitIndex(),
        r.getAppliedIndex(),
        r.getGroupId(),
        r.getSnapshotIndex(),
        r.getLastIndex(),
        r.getFollowersList().stream()
            .map(
                f ->
                    new FollowerProgress(
                        f.getId(), f.getVoter(), f.getMatchIndex(), f.getLag(), java.time.Duration.ofMillis(f.getLastContactMs())))
            .toList(),
        r.getDataBytes(),
        java.time.Duration.ofMillis(r.getUptimeMs()),
        r.getSnapshotsInstalled());
  }
}
