package io.ternkv.server.raft;

/**
 * How far one other member is behind the leader, as the leader sees it.
 *
 * @param id the member's id
 * @param voter whether it votes (else it is a non-voting member catching up)
 * @param matchIndex highest log index the leader knows the member stores
 * @param lag entries the member is missing: the leader's last log index minus {@code matchIndex}
 * @param lastContactMillis milliseconds since the member last answered the leader
 */
public record FollowerProgress(
    String id, boolean voter, long matchIndex, long lag, long lastContactMillis) {}
