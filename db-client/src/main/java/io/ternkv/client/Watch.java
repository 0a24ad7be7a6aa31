package io.ternkv.client;

import com.google.protobuf.ByteString;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.ternkv.client.internal.Caller;
import io.ternkv.proto.v1.Event;
import io.ternkv.proto.v1.WatchCreateRequest;
import io.ternkv.proto.v1.WatchGrpc;
import io.ternkv.proto.v1.WatchRequest;
import io.ternkv.proto.v1.WatchResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running watch, from {@link TernClient#watch}. It follows its keys until {@link #close()} or
 * until the server cancels it ({@link WatchListener#onCancelled}).
 *
 * <p>When the node serving it fails or shuts down, the watch reconnects on its own, to the next
 * node, from the revision after the last one it delivered: no event is lost or repeated. While
 * every node is unreachable it keeps trying (with the client's retry backoff) and delivers
 * nothing.
 *
 * <p>Threading: thread-safe. Listener calls come one at a time on gRPC's threads.
 */
public final class Watch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Watch.class);
  private static final long WATCH_ID = 1;

  private final Caller caller;
  private final WatchOptions options;
  private final WatchListener listener;
  private final Object lock = new Object();

  /** Next revision owed to the listener; 0 until the first node fixed the start. */
  private long next;
  private String address;
  private ClientCallStreamObserver<WatchRequest> call;
  private ScheduledFuture<?> retry;
  private int failures;
  /** Whether the stream logged in again since it last got a response; once per loss. */
  private boolean loggedInAgain;
  private int reconnects;
  private boolean closed;

  Watch(Caller caller, WatchOptions options, WatchListener listener) {
    this.caller = caller;
    this.options = options;
    this.listener = listener;
    this.next = options.startRevision();
    synchronized (lock) {
      address = caller.currentEndpoint();
      open();
    }
  }

  /**
   * The revision after the last one delivered (events or progress): where the watch resumes. 0
   * before the first node answered a watch that named no start.
   */
  public long nextRevision() {
    synchronized (lock) {
      return next;
    }
  }

  /** How many times the watch moved to a node after losing one (for monitoring and tests). */
  public int reconnects() {
    synchronized (lock) {
      return reconnects;
    }
  }

  /** The node serving the watch now, or last tried. */
  public String endpoint() {
    synchronized (lock) {
      return address;
    }
  }

  /** Asks the serving node to confirm progress now; answered through {@link WatchListener#onProgress}. */
  public void requestProgress() {
    synchronized (lock) {
      if (call != null && !closed) {
        call.onNext(
            WatchRequest.newBuilder()
                .setProgress(io.ternkv.proto.v1.WatchProgressRequest.getDefaultInstance())
                .build());
      }
    }
  }

  /** Stops the watch; no listener call starts after this returns. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      if (retry != null) {
        retry.cancel(false);
      }
      if (call != null) {
        call.cancel("watch closed by the client", null);
      }
    }
  }

  /** Opens a stream to {@link #address}. Under {@link #lock}. */
  private void open() {
    WatchCreateRequest.Builder create =
        WatchCreateRequest.newBuilder()
            .setWatchId(WATCH_ID)
            .setStartRevision(next)
            .setNoPut(options.noPuts())
            .setNoDelete(options.noDeletes())
            .setPrevKv(options.withPrevious())
            .setProgressNotify(options.progress());
    if (options.key() != null) {
      create.setKey(ByteString.copyFrom(options.key()));
    } else {
      KeyRange r = options.range();
      if (r.prefixRef().length > 0) {
        create.setPrefix(ByteString.copyFrom(r.prefixRef()));
      } else if (r.endRef().length > 0) {
        create.setKey(ByteString.copyFrom(r.startRef())).setEnd(ByteString.copyFrom(r.endRef()));
      } else {
        create.setKey(ByteString.copyFrom(r.startRef())).setToEnd(true);
      }
    }
    Stream stream = new Stream(address);
    WatchGrpc.newStub(caller.channel(address)).watch(stream);
    stream.requests.onNext(WatchRequest.newBuilder().setCreate(create).build());
  }

  /** One attempt: a gRPC stream to one node. */
  private final class Stream implements ClientResponseObserver<WatchRequest, WatchResponse> {
    private final String node;
    ClientCallStreamObserver<WatchRequest> requests;

    Stream(String node) {
      this.node = node;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      this.requests = requestStream;
      call = requestStream; // under lock: open() holds it
    }

    private boolean current() {
      return !closed && call == requests;
    }

    @Override
    public void onNext(WatchResponse r) {
      synchronized (lock) {
        if (!current()) {
          return;
        }
        if (r.getCanceled()) {
          closed = true;
          requests.cancel("watch cancelled by the server", null);
          TernException reason =
              r.getCompactRevision() > 0
                  ? new RevisionOutOfRangeException(
                      node + ": " + r.getCancelReason(),
                      r.getCompactRevision(),
                      r.getHeader().getRevision(),
                      null)
                  : new InvalidArgumentException(node + ": " + r.getCancelReason(), null);
          listener.onCancelled(reason);
          return;
        }
        long covered = r.getHeader().getRevision();
        if (r.getCreated()) {
          failures = 0;
          loggedInAgain = false;
          if (next == 0) {
            next = covered + 1;
          }
          return;
        }
        if (r.getEventsCount() > 0) {
          List<WatchEvent> events = new ArrayList<>(r.getEventsCount());
          for (Event e : r.getEventsList()) {
            if (e.getKv().getModRevision() < next) {
              // Defensive: never hand out a revision twice.
              continue;
            }
            events.add(
                new WatchEvent(
                    e.getType() == Event.EventType.DELETE ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT,
                    Wire.keyValue(e.getKv()),
                    e.hasPrevKv() ? Optional.of(Wire.keyValue(e.getPrevKv())) : Optional.empty()));
          }
          next = Math.max(next, covered + 1);
          if (!events.isEmpty()) {
            listener.onEvents(List.copyOf(events));
          }
        } else {
          next = Math.max(next, covered + 1);
          listener.onProgress(covered);
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      // Through the caller, so a TLS mismatch ends the watch with one clear error, not retries.
      caller.explain(node, t).thenAccept(this::lost);
    }

    @Override
    public void onCompleted() {
      lost(new UnavailableException(node + ": watch stream ended", null));
    }

    private void lost(TernException e) {
      synchronized (lock) {
        if (!current()) {
          return;
        }
        call = null;
        if (e instanceof AuthenticationException && caller.hasCredentials() && !loggedInAgain) {
          // The token expired while the stream was down (or was revoked): log in once, resume.
          loggedInAgain = true;
          caller
              .renewLogin(node)
              .whenComplete(
                  (v, loginError) -> {
                    synchronized (lock) {
                      if (closed) {
                        return;
                      }
                      if (loginError != null) {
                        closed = true;
                        listener.onCancelled(io.ternkv.client.internal.StatusMapping.toException(loginError, node));
                      } else {
                        open();
                      }
                    }
                  });
          return;
        }
        if (!e.isRetriable() && e.code() != ErrorCode.CANCELLED && e.code() != ErrorCode.INTERNAL) {
          closed = true;
          listener.onCancelled(e);
          return;
        }
        failures++;
        reconnects++;
        address = caller.endpointAfter(node);
        long pause = caller.backoffNanos(failures - 1);
        LOG.debug("watch lost {} ({}); resuming at revision {} on {}", node, e.getMessage(), next, address);
        try {
          retry =
              caller
                  .timer()
                  .schedule(
                      () -> {
                        synchronized (lock) {
                          if (!closed) {
                            open();
                          }
                        }
                      },
                      pause,
                      TimeUnit.NANOSECONDS);
        } catch (IllegalStateException | java.util.concurrent.RejectedExecutionException closing) {
          closed = true; // the client is closing
        }
      }
    }
  }
}
