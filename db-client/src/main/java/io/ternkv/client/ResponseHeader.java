package io.ternkv.client;

/**
 * Which node answered and which state its answer reflects.
 *
 * @param nodeId the node that produced the response
 * @param revision the store revision the response reflects
 * @param raftIndex the Raft log index the response reflects
 * @param raftTerm the node's Raft term when it answered
 */
public record ResponseHeader(String nodeId, long revision, long raftIndex, long raftTerm) {}
