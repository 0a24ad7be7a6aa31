package io.ternkv.client;

/**
 * A member of the cluster.
 *
 * @param id node id
 * @param clientAddress where clients reach it ({@code host:port})
 * @param raftAddress where peers reach it
 * @param voter whether it votes (else it is a learner)
 */
public record Member(String id, String clientAddress, String raftAddress, boolean voter) {}
