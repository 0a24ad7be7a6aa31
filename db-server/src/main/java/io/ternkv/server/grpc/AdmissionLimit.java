package io.ternkv.server.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the calls a service works on at once: a call that arrives while {@code limit} are in
 * flight is answered RESOURCE_EXHAUSTED at once, before its request is read, so a burst of clients
 * costs a refusal each instead of queueing without end in Raft's pending requests, the read-index
 * queue and their buffers. A call holds its place from its start until it is closed or cancelled.
 *
 * <p>Clients retry RESOURCE_EXHAUSTED after a pause (the Java client backs off exponentially), so
 * shedding keeps the node working at its best rate while the rest wait on the client side.
 *
 * <p>Threading: thread-safe; one instance serves every call of the service it wraps.
 */
public final class AdmissionLimit implements ServerInterceptor {
  private final String nodeId;
  private final int limit;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong refused = new AtomicLong();

  /**
   * @param nodeId named in the refusal
   * @param limit most calls in flight at once, at least 1
   * @throws IllegalArgumentException when {@code limit} is below 1
   */
  public AdmissionLimit(String nodeId, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("max-inflight-requests must be at least 1, not " + limit);
    }
    this.nodeId = nodeId;
    this.limit = limit;
  }

  /** Calls in flight now. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Calls refused since the node started. */
  public long refused() {
    return refused.get();
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (inFlight.incrementAndGet() > limit) {
      inFlight.decrementAndGet();
      refused.incrementAndGet();
      call.close(
          Status.RESOURCE_EXHAUSTED.withDescription(
              "node "
                  + nodeId
                  + " is working on "
                  + limit
                  + " requests (max-inflight-requests); retry after a pause"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    AtomicBoolean held = new AtomicBoolean(true);
    Runnable release =
        () -> {
          if (held.compareAndSet(true, false)) {
            inFlight.decrementAndGet();
          }
        };
    ServerCall.Listener<Q> listener;
    try {
      listener =
          next.startCall(
              new SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                  release.run();
                  super.close(status, trailers);
                }
              },
              headers);
    } catch (RuntimeException e) {
      release.run();
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        release.run();
        super.onCancel();
      }

      @Override
      public void onComplete() {
        release.run();
        super.onComplete();
      }
    };
  }
}
