package io.ternkv.server.membership;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.ClusterGrpc;
import io.ternkv.proto.v1.Role;
import io.ternkv.proto.v1.StatusRequest;
import io.ternkv.proto.v1.StatusResponse;
import io.ternkv.proto.v1.WaitAppliedRequest;
import io.ternkv.proto.v1.WaitAppliedResponse;
import io.ternkv.server.FailedPreconditionException;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.tls.NodeTls;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The leader's questions to a node being added, over the client address it is added with (which
 * shows that clients will reach it there): is it the node named and waiting to join, and has it
 * applied a given index yet.
 *
 * <p>Threading: stateless; futures complete on gRPC threads.
 */
final class JoiningNode {
  /** How long a node being added may take to answer at all (it may still be starting). */
  static final long ANSWER_WITHIN_NANOS = TimeUnit.SECONDS.toNanos(15);

  private JoiningNode() {}

  /**
   * Completes once the node at {@code member}'s client address answers as {@code member.id()} and
   * is waiting to join (or already joining); fails with {@link FailedPreconditionException} when
   * it does not answer within {@link #ANSWER_WITHIN_NANOS} (or by {@code giveUpNanos}), is another
   * node, or is a member of a group already.
   */
  static CompletableFuture<Void> checkReady(NodeTls tls, MemberSpec member, long giveUpNanos) {
    long left = Math.min(giveUpNanos - System.nanoTime(), ANSWER_WITHIN_NANOS);
    return JoiningNode.<StatusResponse>call(
            tls,
            member,
            left,
            (stub, observer) -> stub.status(StatusRequest.getDefaultInstance(), observer),
            s ->
                new FailedPreconditionException(
                    member.id()
                        + " does not answer at its client address "
                        + member.clientAddress()
                        + " ("
                        + describe(s)
                        + "): is it running with --join?"))
        .thenApply(
            (StatusResponse r) -> {
              if (!r.getNodeId().equals(member.id())) {
                throw new FailedPreconditionException(
                    "the node at " + member.clientAddress() + " is " + r.getNodeId() + ", not " + member.id());
              }
              if (r.getRole() != Role.ROLE_NOT_MEMBER && r.getRole() != Role.ROLE_LISTENER) {
                throw new FailedPreconditionException(
                    member.id()
                        + " at "
                        + member.clientAddress()
                        + " is already a "
                        + r.getRole().name().substring("ROLE_".length()).toLowerCase(Locale.ROOT)
                        + " in a group"
                        + (r.getLeaderId().isEmpty() ? "" : " led by " + r.getLeaderId())
                        + ": only a node started with --join on an empty data directory can join");
              }
              return null;
            });
  }

  /**
   * A future of the node's applied index once it is at least {@code index}; failing with {@link
   * io.ternkv.server.UnavailableException} when it did not confirm by {@code giveUpNanos}.
   */
  static CompletableFuture<Long> awaitApplied(
      NodeTls tls, MemberSpec member, long index, long giveUpNanos) {
    return JoiningNode.<WaitAppliedResponse>call(
            tls,
            member,
            giveUpNanos - System.nanoTime(),
            (stub, observer) -> stub.waitApplied(WaitAppliedRequest.newBuilder().setIndex(index).build(), observer),
            s ->
                MemberChanges.unfinished(
                    member.id(),
                    "did not confirm over its client address "
                        + member.clientAddress()
                        + " that it applied index "
                        + index
                        + " ("
                        + describe(s)
                        + ")"))
        .thenApply(WaitAppliedResponse::getAppliedIndex);
  }

  private interface Rpc<R> {
    void send(ClusterGrpc.ClusterStub stub, StreamObserver<R> observer);
  }

  private static <R> CompletableFuture<R> call(
      NodeTls tls,
      MemberSpec member,
      long timeoutNanos,
      Rpc<R> rpc,
      Function<Status, RuntimeException> failure) {
    CompletableFuture<R> done = new CompletableFuture<>();
    if (timeoutNanos <= 0) {
      done.completeExceptionally(failure.apply(Status.DEADLINE_EXCEEDED.withDescription("no time left")));
      return done;
    }
    // In TLS when this node's client port is: the cluster's nodes share one setting.
    ManagedChannel channel = tls.channelToClientPort(member.clientAddress().toString());
    rpc.send(
        ClusterGrpc.newStub(channel)
            .withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
            // The node may still be starting: wait for its port rather than fail at once.
            .withWaitForReady(),
        new StreamObserver<>() {
          @Override
          public void onNext(R value) {
            done.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(
                failure.apply(t instanceof StatusRuntimeException sre ? sre.getStatus() : Status.fromThrowable(t)));
          }

          @Override
          public void onCompleted() {
            if (!done.isDone()) {
              done.completeExceptionally(failure.apply(Status.INTERNAL.withDescription("no answer")));
            }
          }
        });
    done.whenComplete((v, e) -> channel.shutdownNow());
    return done;
  }

  private static String describe(Status s) {
    return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
  }
}
