package io.ternkv.server.raft;

import io.ternkv.server.MemberSpec;
import java.util.concurrent.CompletableFuture;

/**
 * Asks another voter which Raft term it is in, for {@link LeaderConfirmations}: the leader's proof
 * that it still led after a read arrived. {@link RaftNode} does not reach other nodes' client
 * ports itself; the gRPC layer implements this over {@code Cluster.CurrentTerm}.
 *
 * <p>Threading: implementations are thread-safe; futures may complete on any thread.
 */
public interface VoterTermSource {
  /**
   * Starts asking {@code voter} now (never before the call) and completes with the term it is in
   * when it answered. Fails when it cannot be asked or does not answer in time, or when the node
   * at its address is not {@code voter}.
   */
  CompletableFuture<Long> termOf(MemberSpec voter);
}
