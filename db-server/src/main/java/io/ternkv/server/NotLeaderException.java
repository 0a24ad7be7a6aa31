package io.ternkv.server;

import java.util.Optional;

/** This node cannot serve the request because it is not the leader; names the leader if known. */
public final class NotLeaderException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String leaderId;
  private final String leaderAddress;

  /**
   * @param leaderId the leader's node id, or null when unknown
   * @param leaderAddress the leader's client address, or null when unknown
   */
  public NotLeaderException(String nodeId, String leaderId, String leaderAddress) {
    super(
        leaderId == null
            ? "node " + nodeId + " is not the leader and knows no leader (election in progress)"
            : "node " + nodeId + " is not the leader; leader is " + leaderId + " at "
                + leaderAddress);
    this.leaderId = leaderId;
    this.leaderAddress = leaderAddress;
  }

  /** The leader's node id, when known. */
  public Optional<String> leaderId() {
    return Optional.ofNullable(leaderId);
  }

  /** The leader's client address, when known. */
  public Optional<String> leaderAddress() {
    return Optional.ofNullable(leaderAddress);
  }
}
