package io.ternkv.server.raft;

import java.util.List;

/**
 * A node's view of its Raft group at one moment.
 *
 * @param role LEADER, FOLLOWER, CANDIDATE, LISTENER (a non-voting member catching up) or
 *     NOT_MEMBER (not in the configuration this node knows: waiting to be added, or removed)
 * @param term current term
 * @param leaderId leader's id, or null when none is known
 * @param leaderClientAddress leader's client address, or null when unknown
 * @param commitIndex highest log index known committed
 * @param appliedIndex highest log index applied to the state machine
 * @param snapshotIndex index of the latest snapshot, or -1
 * @param groupId the Raft group's id
 * @param snapshotsInstalled snapshots received from a leader and installed since start
 * @param lastIndex index of the last entry in this node's log, or -1
 * @param followers on the leader, every other member's progress; empty elsewhere
 * @param dataBytes bytes of the live store file, or -1 when it cannot be read
 * @param uptimeMillis milliseconds since the node started
 */
public record NodeStatus(
    String role,
    long term,
    String leaderId,
    String leaderClientAddress,
    long commitIndex,
    long appliedIndex,
    long snapshotIndex,
    String groupId,
    long snapshotsInstalled,
    long lastIndex,
    List<FollowerProgress> followers,
    long dataBytes,
    long uptimeMillis) {
  /** Copies the follower list. */
  public NodeStatus {
    followers = List.copyOf(followers);
  }
}
