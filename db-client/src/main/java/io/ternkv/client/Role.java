package io.ternkv.client;

/** A node's role in the Raft group. */
public enum Role {
  LEADER,
  FOLLOWER,
  CANDIDATE,
  LISTENER,
  UNKNOWN
}
