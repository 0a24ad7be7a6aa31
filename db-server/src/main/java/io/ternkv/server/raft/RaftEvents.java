package io.ternkv.server.raft;

import io.ternkv.proto.raft.v1.Command;

/**
 * What the Raft layer reports as it happens, for an observer such as the node's metrics. Every
 * method has an empty default, so an observer overrides only what it needs.
 *
 * <p>Threading: called on Ratis's threads, the apply thread among them; implementations must be
 * fast, thread-safe and must not throw.
 */
public interface RaftEvents {
  /** Observes nothing. */
  RaftEvents NONE = new RaftEvents() {};

  /**
   * A log command was applied to the store (on the apply thread). Entries the store already
   * reflected when it was opened, and entries without a command, are not reported.
   *
   * @param command the command's kind
   * @param nanos time spent applying it, a store commit included when one was due
   */
  default void applied(Command.OpCase command, long nanos) {}

  /**
   * A snapshot was written and fsynced (on the apply thread).
   *
   * @param bytes the snapshot file's size
   * @param nanos time spent writing it
   */
  default void snapshotTaken(long bytes, long nanos) {}

  /**
   * This node learnt of a new leader (possibly itself), after knowing another one or none: the
   * same leader found again after an election without a winner counts again.
   *
   * @param leaderId the new leader's id
   */
  default void leaderChanged(String leaderId) {}
}
