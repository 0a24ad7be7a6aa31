package io.ternkv.server.membership;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.ClusterGrpc;
import io.ternkv.proto.v1.WaitAppliedRequest;
import io.ternkv.proto.v1.WaitAppliedResponse;
import io.ternkv.server.MemberSpec;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Waits until a joining node has applied a log index, asking its {@code Cluster.WaitApplied} over
 * the client address it is being added with: that also shows clients will reach it there.
 *
 * <p>Threading: stateless; the future completes on a gRPC thread.
 */
final class CatchUp {
  private CatchUp() {}

  /**
   * A future of the node's applied index once it is at least {@code index}; failing with {@link
   * io.ternkv.server.UnavailableException} when it did not confirm by {@code giveUpNanos}.
   */
  static CompletableFuture<Long> await(MemberSpec member, long index, long giveUpNanos) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    long left = giveUpNanos - System.nanoTime();
    if (left <= 0) {
      done.completeExceptionally(MemberChanges.unfinished(member.id(), "ran out of time before it caught up"));
      return done;
    }
    ManagedChannel channel =
        NettyChannelBuilder.forTarget(member.clientAddress().toString()).usePlaintext().build();
    ClusterGrpc.newStub(channel)
        .withDeadlineAfter(left, TimeUnit.NANOSECONDS)
        // The node may still be starting its client port: wait for it rather than fail at once.
        .withWaitForReady()
        .waitApplied(
            WaitAppliedRequest.newBuilder().setIndex(index).build(),
            new StreamObserver<>() {
              @Override
              public void onNext(WaitAppliedResponse value) {
                done.complete(value.getAppliedIndex());
              }

              @Override
              public void onError(Throwable t) {
                Status s = t instanceof StatusRuntimeException sre ? sre.getStatus() : Status.fromThrowable(t);
                done.completeExceptionally(
                    MemberChanges.unfinished(
                        member.id(),
                        "did not confirm over its client address "
                            + member.clientAddress()
                            + " that it applied index "
                            + index
                            + " ("
                            + s.getCode()
                            + (s.getDescription() == null ? "" : ": " + s.getDescription())
                            + ")"));
              }

              @Override
              public void onCompleted() {
                done.complete(-1L);
              }
            });
    done.whenComplete((v, e) -> channel.shutdownNow());
    return done;
  }
}
