package io.ternkv.server.raft;

import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;

/** The leader's view of how far each other member is behind, from Ratis's division info. */
final class ReplicationProgress {
  private ReplicationProgress() {}

  /**
   * On the leader, every other member's replication progress; empty on other nodes.
   *
   * <p>Ratis gives the followers' ids (with their last contact) and their match indexes in two
   * calls over the same list of log appenders; they are paired only when the list did not change
   * in between.
   */
  static List<FollowerProgress> of(RaftServer.Division d) {
    DivisionInfo info = d.getInfo();
    for (int attempt = 0; attempt < 3; attempt++) {
      List<ServerRpcProto> before = followerRpcs(info);
      long[] match = info.getFollowerMatchIndices();
      List<ServerRpcProto> after = followerRpcs(info);
      if (before == null || after == null || match == null) {
        return List.of();
      }
      if (!ids(before).equals(ids(after)) || match.length != after.size()) {
        continue;
      }
      long last =
          d.getRaftLog().getLastEntryTermIndex() == null
              ? -1
              : d.getRaftLog().getLastEntryTermIndex().getIndex();
      RaftConfiguration conf = d.getRaftConf();
      List<FollowerProgress> out = new ArrayList<>();
      for (int i = 0; i < after.size(); i++) {
        String id = ids(after).get(i);
        RaftPeerId peerId = RaftPeerId.valueOf(id);
        boolean voter =
            conf.getCurrentPeers(RaftPeerRole.FOLLOWER).stream().anyMatch(p -> p.getId().equals(peerId))
                || conf.getPreviousPeers(RaftPeerRole.FOLLOWER).stream()
                    .anyMatch(p -> p.getId().equals(peerId));
        out.add(
            new FollowerProgress(
                id, voter, match[i], Math.max(0, last - match[i]), after.get(i).getLastRpcElapsedTimeMs()));
      }
      return List.copyOf(out);
    }
    return List.of();
  }

  private static List<ServerRpcProto> followerRpcs(DivisionInfo info) {
    RoleInfoProto role = info.getRoleInfoProto();
    if (role.getRole() != RaftPeerRole.LEADER || !role.hasLeaderInfo()) {
      return null;
    }
    return role.getLeaderInfo().getFollowerInfoList();
  }

  private static List<String> ids(List<ServerRpcProto> rpcs) {
    return rpcs.stream().map(r -> r.getId().getId().toStringUtf8()).toList();
  }
}
