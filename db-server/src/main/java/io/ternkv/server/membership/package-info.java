/**
 * Membership changes as an operator asks for them (add a node, remove one, move leadership):
 * whether a change is safe, one change at a time, and the steps of a join. The Ratis steps
 * themselves are {@link io.ternkv.server.raft.Membership}'s.
 */
package io.ternkv.server.membership;
