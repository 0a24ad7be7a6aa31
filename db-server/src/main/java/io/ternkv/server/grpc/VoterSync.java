package io.ternkv.server.grpc;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.ClusterGrpc;
import io.ternkv.proto.v1.WaitAppliedRequest;
import io.ternkv.proto.v1.WaitAppliedResponse;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.UnavailableException;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.tls.NodeTls;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Confirms that every voter applied a log index, for WRITE_ALL: asks each other voter's {@code
 * Cluster.WaitApplied} over its client port. Ratis's own ALL replication levels confirm that an
 * entry is logged or committed everywhere, not that it is applied, and fail on non-MAJORITY writes.
 *
 * <p>Threading: thread-safe; channels are opened lazily and closed with the node.
 */
final class VoterSync implements AutoCloseable {
  private final String selfId;
  private final RaftNode raft;
  private final NodeTls tls;
  private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  VoterSync(String selfId, RaftNode raft, NodeTls tls) {
    this.selfId = selfId;
    this.raft = raft;
    this.tls = tls;
  }

  /**
   * Completes once every voter but this node (which applied it already) applied {@code index};
   * fails with {@link UnavailableException} naming a voter that did not confirm in time.
   */
  CompletableFuture<Void> awaitAllVoters(long index, long timeoutNanos) {
    List<CompletableFuture<Void>> confirmations = new ArrayList<>();
    for (MemberSpec m : raft.members()) {
      if (!m.id().equals(selfId) && raft.isVoter(m.id())) {
        confirmations.add(awaitOne(m, index, timeoutNanos));
      }
    }
    return CompletableFuture.allOf(confirmations.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Void> awaitOne(MemberSpec voter, long index, long timeoutNanos) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    ManagedChannel channel =
        channels.computeIfAbsent(
            voter.clientAddress().toString(),
            tls::channelToClientPort);
    ClusterGrpc.newStub(channel)
        .withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
        .waitApplied(
            WaitAppliedRequest.newBuilder().setIndex(index).build(),
            new StreamObserver<>() {
              @Override
              public void onNext(WaitAppliedResponse value) {}

              @Override
              public void onError(Throwable t) {
                Status s = t instanceof StatusRuntimeException sre ? sre.getStatus() : Status.fromThrowable(t);
                done.completeExceptionally(
                    new UnavailableException(
                        "write is durable on a majority at index "
                            + index
                            + " but voter "
                            + voter.id()
                            + " did not confirm applying it: "
                            + s.getCode()
                            + (s.getDescription() == null ? "" : " " + s.getDescription()),
                        t));
              }

              @Override
              public void onCompleted() {
                done.complete(null);
              }
            });
    return done;
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
