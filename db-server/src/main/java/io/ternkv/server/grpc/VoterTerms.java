package io.ternkv.server.grpc;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.ClusterGrpc;
import io.ternkv.proto.v1.CurrentTermRequest;
import io.ternkv.proto.v1.CurrentTermResponse;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.UnavailableException;
import io.ternkv.server.raft.VoterTermSource;
import io.ternkv.server.tls.NodeTls;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Asks other voters for their Raft term over their client ports ({@code Cluster.CurrentTerm}), for
 * the leader's LINEARIZABLE reads.
 *
 * <p>Threading: thread-safe; channels are opened lazily, one per address, and closed with the
 * node. Futures complete on gRPC's threads.
 */
final class VoterTerms implements VoterTermSource, AutoCloseable {
  private final CurrentTermRequest request;
  private final NodeTls tls;
  private final long timeoutNanos;
  private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** @param timeoutNanos how long a voter has to answer */
  VoterTerms(String selfId, NodeTls tls, long timeoutNanos) {
    this.request = CurrentTermRequest.newBuilder().setFromNodeId(selfId).build();
    this.tls = tls;
    this.timeoutNanos = timeoutNanos;
  }

  @Override
  public CompletableFuture<Long> termOf(MemberSpec voter) {
    CompletableFuture<Long> term = new CompletableFuture<>();
    if (closed) {
      term.completeExceptionally(new UnavailableException("node is shutting down", null));
      return term;
    }
    ManagedChannel channel =
        channels.computeIfAbsent(voter.clientAddress().toString(), tls::channelToClientPort);
    // Outside the calling request's gRPC context: one round serves many reads, and the call
    // must not be cancelled when the read that happened to start it ends.
    Context.ROOT.run(() -> ask(channel, voter, term));
    return term;
  }

  private void ask(ManagedChannel channel, MemberSpec voter, CompletableFuture<Long> term) {
    ClusterGrpc.newStub(channel)
        .withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
        .currentTerm(
            request,
            new StreamObserver<>() {
              @Override
              public void onNext(CurrentTermResponse r) {
                if (!r.getNodeId().equals(voter.id())) {
                  term.completeExceptionally(
                      new UnavailableException(
                          "the node at "
                              + voter.clientAddress()
                              + " is "
                              + r.getNodeId()
                              + ", not voter "
                              + voter.id(),
                          null));
                } else {
                  term.complete(r.getTerm());
                }
              }

              @Override
              public void onError(Throwable t) {
                Status s =
                    t instanceof StatusRuntimeException sre ? sre.getStatus() : Status.fromThrowable(t);
                term.completeExceptionally(
                    new UnavailableException(
                        "voter " + voter.id() + " did not tell its term: " + s.getCode(), t));
              }

              @Override
              public void onCompleted() {
                term.completeExceptionally(
                    new UnavailableException("voter " + voter.id() + " sent no term", null));
              }
            });
  }

  @Override
  public void close() {
    closed = true;
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
