package io.ternkv.client;

import java.util.Optional;

/** The node asked is not the leader. Carries the leader when the node knows it. Retriable. */
public final class NotLeaderException extends TernException {
  private static final long serialVersionUID = 1L;

  private final String leaderId;
  private final String leaderAddress;

  /**
   * @param leaderId the leader's node id, or null when unknown
   * @param leaderAddress the leader's client address, or null when unknown
   */
  public NotLeaderException(String message, String leaderId, String leaderAddress) {
    super(ErrorCode.NOT_LEADER, message, null);
    this.leaderId = leaderId;
    this.leaderAddress = leaderAddress;
  }

  /** The leader's node id, when known. */
  public Optional<String> leaderId() {
    return Optional.ofNullable(leaderId);
  }

  /** The leader's client address ({@code host:port}), when known. */
  public Optional<String> leaderAddress() {
    return Optional.ofNullable(leaderAddress);
  }
}
