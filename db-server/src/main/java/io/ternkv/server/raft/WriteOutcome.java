package io.ternkv.server.raft;

import io.ternkv.server.apply.ApplyResult;

/**
 * A write that was committed and applied.
 *
 * @param result what applying it produced
 * @param logIndex the log index of its entry
 * @param term the leader's term when it answered
 */
public record WriteOutcome(ApplyResult result, long logIndex, long term) {}
