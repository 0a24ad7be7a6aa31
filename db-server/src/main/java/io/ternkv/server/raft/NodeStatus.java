package io.ternkv.server.raft;

/**
 * A node's view of its Raft group at one moment.
 *
 * @param role LEADER, FOLLOWER, CANDIDATE, LISTENER or UNKNOWN
 * @param term current term
 * @param leaderId leader's id, or null when none is known
 * @param leaderClientAddress leader's client address, or null when unknown
 * @param commitIndex highest log index known committed
 * @param appliedIndex highest log index applied to the state machine
 * @param snapshotIndex index of the latest snapshot, or -1
 * @param groupId the Raft group's id
 * @param snapshotsInstalled snapshots received from a leader and installed since start
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
    long snapshotsInstalled) {}
