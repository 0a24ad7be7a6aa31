package io.ternkv.client;

import java.time.Duration;

/**
 * How far one member is behind the leader, as the leader reports it in {@link
 * ClusterStatus#followers()}.
 *
 * @param id the member's id
 * @param voter whether it votes (else it is still joining)
 * @param matchIndex highest log index the leader knows the member stores
 * @param lag log entries the member is missing (the leader's last index minus {@code matchIndex})
 * @param lastContact time since the member last answered the leader
 */
public record FollowerProgress(String id, boolean voter, long matchIndex, long lag, Duration lastContact) {}
