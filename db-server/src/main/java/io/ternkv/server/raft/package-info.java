/**
 * The only code that touches Apache Ratis: the node's Raft membership, the state machine, and the
 * one place that builds Ratis properties. Requests are submitted to the local Ratis server
 * in-process, so a write costs no extra client hop.
 */
package io.ternkv.server.raft;
