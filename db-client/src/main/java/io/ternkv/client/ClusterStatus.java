package io.ternkv.client;

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
    long snapshotIndex) {}
