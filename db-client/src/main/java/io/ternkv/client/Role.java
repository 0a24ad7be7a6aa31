package io.ternkv.client;

/** A node's role in the Raft group. */
public enum Role {
  LEADER,
  FOLLOWER,
  CANDIDATE,
  /** A member that receives the log without voting: a node still joining. */
  LISTENER,
  /** Not in the configuration the node knows: started to join and not added yet, or removed. */
  NOT_MEMBER,
  UNKNOWN
}
