package io.ternkv.client;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One node's view of the Raft group.
 *
 * @param nodeId the node that answered
 * @param role its role
 * @param term its current term
 * @param leaderId the leader it knows, if any
 * @param leaderAddress that leader's client address, if known
 * @param commitIndex highest log index it knows committed
 * @param appliedIndex highest log index it applied
 * @param groupId the Raft group id
 * @param snapshotIndex index of its latest snapshot, or -1
 * @param lastIndex index of the last entry in its log, or -1
 * @param followers when it is the leader, every other member's progress; else empty
 * @param dataBytes size of its store file on disk in bytes, or -1 when unknown
 * @param uptime time since the node started
 * @param snapshotsInstalled snapshots it received from a leader and installed since it started
 */
public record ClusterStatus(
    String nodeId,
    Role role,
    long term,
    Optional<String> leaderId,
    Optional<String> leaderAddress,
    long commitIndex,
    long appliedIndex,
    String groupId,
    long snapshotIndex,
    long lastIndex,
    List<FollowerProgress> followers,
    long dataBytes,
    Duration uptime,
    long snapshotsInstalled) {
  /** Copies the follower list. */
  public ClusterStatus {
    followers = List.copyOf(followers);
  }

  /** The leader's report on member {@code id}, when this node is the leader and knows it. */
  public Optional<FollowerProgress> follower(String id) {
    return followers.stream().filter(f -> f.id().equals(id)).findFirst();
  }
}
