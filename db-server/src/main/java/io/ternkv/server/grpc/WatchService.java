package io.ternkv.server.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.Event;
import io.ternkv.proto.v1.KeyValue;
import io.ternkv.proto.v1.ResponseHeader;
import io.ternkv.proto.v1.WatchCreateRequest;
import io.ternkv.proto.v1.WatchGrpc;
import io.ternkv.proto.v1.WatchRequest;
import io.ternkv.proto.v1.WatchResponse;
import io.ternkv.server.InvalidRequestException;
import io.ternkv.server.apply.RequestLimits;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client-facing {@code Watch} service: streams changes from this node's applied state.
 *
 * <p>Watchers are never fed from a queue: each one remembers the next revision it owes its client
 * and reads the changes from the store's history when the stream can take more (gRPC flow
 * control). A slow client therefore costs no server memory beyond one response; it simply falls
 * behind, and if compaction overtakes it the watch is cancelled with the compacted revision.
 * Every revision's events of one watch go out in one response, so resuming from the last
 * revision received plus one, on any node, repeats and skips nothing.
 *
 * <p>Threading: each stream's work runs on one thread at a time of a small shared pool, woken by
 * applied entries, flow control, requests and a once-a-second progress tick.
 */
public final class WatchService extends WatchGrpc.WatchImplBase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WatchService.class);

  /** Watches one stream may hold. */
  static final int MAX_WATCHES_PER_STREAM = 1_000;

  /** Rough upper bound of event bytes in one response (a single revision may exceed it). */
  static final long MAX_RESPONSE_BYTES = 1L << 20;

  /**
   * Bytes of event responses one client connection may have sitting unsent, over all its watch
   * streams. A response stays charged until its stream is ready again (gRPC's buffer for it is
   * nearly empty); a stream whose next response does not fit waits, costing nothing, until its
   * connection's bytes drain. Without this bound, thousands of streams whose client never reads
   * would each hold a response, and the node would run out of direct memory; with it, such a
   * client only slows itself down.
   */
  static final long CONNECTION_UNSENT_BYTES = 16L << 20;

  /** The same bound over every connection together. */
  static final long NODE_UNSENT_BYTES = 256L << 20;

  /** How often idle watchers that asked for it hear that they are current. */
  static final long PROGRESS_INTERVAL_MS = 1_000;

  private final String nodeId;
  private final RaftNode raft;
  private final RequestLimits limits;
  private final Set<WatchStream> streams = ConcurrentHashMap.newKeySet();
  private final Budget nodeBudget = new Budget(NODE_UNSENT_BYTES);
  /** Per client connection (remote address), while it has watch streams. */
  private final ConcurrentHashMap<String, Budget> connectionBudgets = new ConcurrentHashMap<>();

  /** The client connection's remote address, put in the call's context for {@link #watch}. */
  private static final io.grpc.Context.Key<String> REMOTE = io.grpc.Context.key("ternkv-remote-address");
  private final ExecutorService pumps;
  private final ScheduledExecutorService ticker;
  private volatile boolean closed;
  private final io.ternkv.server.auth.AuthGate auth;

  /** Creates the service and subscribes it to the node's applied entries. */
  public WatchService(String nodeId, RaftNode raft, RequestLimits limits) {
    this(nodeId, raft, limits, new io.ternkv.server.auth.AuthGate(raft::store, io.ternkv.server.auth.AuthGate.DEFAULT_TOKEN_TTL));
  }

  /** Creates the service, checking each watch's keys against {@code auth}. */
  public WatchService(String nodeId, RaftNode raft, RequestLimits limits, io.ternkv.server.auth.AuthGate auth) {
    this.auth = auth;
    this.nodeId = nodeId;
    this.raft = raft;
    this.limits = limits;
    this.pumps =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, nodeId + "-watch");
              t.setDaemon(true);
              return t;
            });
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, nodeId + "-watch-progress");
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleWithFixedDelay(
        this::progressTick, PROGRESS_INTERVAL_MS, PROGRESS_INTERVAL_MS, TimeUnit.MILLISECONDS);
    raft.onApplied(this::wakeAll);
  }

  /**
   * Unsent bytes allowed to some streams, with the streams waiting for more. A response may
   * overdraw it only while at least a quarter is free, so one large revision can always go out
   * eventually and the total stays bounded by the limit plus one response.
   */
  private static final class Budget {
    private final long limit;
    private final java.util.concurrent.atomic.AtomicLong left;
    private final Set<WatchStream> starved = ConcurrentHashMap.newKeySet();
    /** Streams using it (for per-connection budgets, dropped at 0). */
    final java.util.concurrent.atomic.AtomicInteger users = new java.util.concurrent.atomic.AtomicInteger();

    Budget(long limit) {
      this.limit = limit;
      this.left = new java.util.concurrent.atomic.AtomicLong(limit);
    }

    boolean charge(long bytes) {
      while (true) {
        long now = left.get();
        if (now < Math.min(bytes, limit / 4)) {
          return false;
        }
        if (left.compareAndSet(now, now - bytes)) {
          return true;
        }
      }
    }

    void release(long bytes) {
      if (bytes == 0) {
        return;
      }
      left.addAndGet(bytes);
      for (WatchStream s : starved) {
        if (starved.remove(s)) {
          s.wake();
        }
      }
    }
  }

  /**
   * The service to register with the gRPC server: this one, with the client connection's address
   * made known to it (each connection has its own budget of unsent bytes).
   */
  public io.grpc.ServerServiceDefinition service() {
    return io.grpc.ServerInterceptors.intercept(
        bindService(),
        new io.grpc.ServerInterceptor() {
          @Override
          public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(
              io.grpc.ServerCall<Q, R> call, io.grpc.Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
            java.net.SocketAddress remote = call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            io.grpc.Context context = io.grpc.Context.current().withValue(REMOTE, String.valueOf(remote));
            return io.grpc.Contexts.interceptCall(context, call, headers, next);
          }
        });
  }

  /** Number of open watch streams (for status and tests). */
  public int streams() {
    return streams.size();
  }

  private void wakeAll() {
    for (WatchStream s : streams) {
      s.wake();
    }
  }

  private void progressTick() {
    for (WatchStream s : streams) {
      s.progressDue = true;
      s.wake();
    }
  }

  @Override
  public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
    ServerCallStreamObserver<WatchResponse> out = (ServerCallStreamObserver<WatchResponse>) responses;
    String remote = REMOTE.get();
    Budget connection =
        connectionBudgets.compute(
            remote == null ? "unknown" : remote,
            (k, b) -> {
              Budget budget = b == null ? new Budget(CONNECTION_UNSENT_BYTES) : b;
              budget.users.incrementAndGet();
              return budget;
            });
    WatchStream stream = new WatchStream(out, remote == null ? "unknown" : remote, connection);
    stream.caller = io.ternkv.server.auth.AuthGate.IDENTITY.get();
    if (closed) {
      stream.cancelled();
      out.onError(
          Status.UNAVAILABLE.withDescription("node " + nodeId + " is shutting down").asRuntimeException());
      return stream;
    }
    out.setOnCancelHandler(stream::cancelled);
    out.setOnReadyHandler(stream::wake);
    streams.add(stream);
    return stream;
  }

  /** Ends every stream with UNAVAILABLE, so clients resume on another node. */
  @Override
  public void close() {
    closed = true;
    ticker.shutdownNow();
    for (WatchStream s : streams) {
      s.inbox.add(SHUTDOWN);
      s.wake();
    }
    pumps.shutdown();
    try {
      if (!pumps.awaitTermination(2, TimeUnit.SECONDS)) {
        pumps.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pumps.shutdownNow();
    }
  }

  private static final WatchRequest SHUTDOWN = WatchRequest.newBuilder().build();

  /** One client stream: its requests, its watchers, and the single-threaded work on them. */
  private final class WatchStream implements StreamObserver<WatchRequest> {
    private final ServerCallStreamObserver<WatchResponse> out;
    private final Queue<WatchRequest> inbox = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicInteger wakeups = new AtomicInteger();
    /** Only touched by the pump. */
    private final Map<Long, Watcher> watchers = new LinkedHashMap<>();
    private long nextServerId = 1L << 62;
    private volatile boolean ended;
    volatile boolean progressDue;
    private boolean progressAsked;

    private final String remote;
    private final Budget connection;
    /** Who opened the stream (null while authentication is disabled); set before the first request. */
    volatile io.ternkv.server.auth.Identity caller;
    private final java.util.concurrent.atomic.AtomicBoolean left = new java.util.concurrent.atomic.AtomicBoolean();

    WatchStream(ServerCallStreamObserver<WatchResponse> out, String remote, Budget connection) {
      this.out = out;
      this.remote = remote;
      this.connection = connection;
    }

    /** Takes {@code bytes} from the connection's and the node's budgets, or neither. */
    private boolean charge(long bytes) {
      if (!connection.charge(bytes)) {
        return false;
      }
      if (!nodeBudget.charge(bytes)) {
        connection.release(bytes);
        return false;
      }
      return true;
    }

    /** Gives back what this stream holds, and its place in its connection's budget once it ends. */
    private void leave() {
      connection.starved.remove(this);
      nodeBudget.starved.remove(this);
      releaseHeld();
      if (left.compareAndSet(false, true)) {
        connectionBudgets.computeIfPresent(remote, (k, b) -> b.users.decrementAndGet() == 0 ? null : b);
      }
    }

    @Override
    public void onNext(WatchRequest request) {
      inbox.add(request);
      wake();
    }

    @Override
    public void onError(Throwable t) {
      cancelled();
    }

    @Override
    public void onCompleted() {
      // The client is done sending; end our side too once the pump sees it.
      inbox.add(COMPLETED);
      wake();
    }

    void cancelled() {
      ended = true;
      streams.remove(this);
      leave();
    }

    /** Bytes this stream sent that may still sit in gRPC's buffer. */
    private final java.util.concurrent.atomic.AtomicLong held = new java.util.concurrent.atomic.AtomicLong();

    private void releaseHeld() {
      long bytes = held.getAndSet(0);
      connection.release(bytes);
      nodeBudget.release(bytes);
    }

    void wake() {
      if (wakeups.getAndIncrement() == 0) {
        try {
          pumps.execute(this::drain);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          cancelled(); // the service is closing
        }
      }
    }

    private void drain() {
      int seen;
      do {
        seen = wakeups.get();
        try {
          pump();
        } catch (RuntimeException | Error e) {
          // Even an Error (say, out of memory) must end this stream: left half-done, it would
          // never be woken again and would keep its watchers and budget forever.
          LOG.error("{}: watch stream failed", nodeId, e);
          end(
              e instanceof RuntimeException r
                  ? ErrorMapper.toStatus(nodeId, r)
                  : Status.INTERNAL.withDescription("watch stream failed on node " + nodeId + ": " + e).asRuntimeException());
        }
      } while (!wakeups.compareAndSet(seen, 0));
    }

    private void end(Throwable error) {
      if (ended) {
        return;
      }
      ended = true;
      streams.remove(this);
      leave();
      try {
        if (error == null) {
          out.onCompleted();
        } else {
          out.onError(error);
        }
      } catch (RuntimeException ignored) {
        // The call is already gone.
      }
    }

    private void pump() {
      if (ended) {
        return;
      }
      if (out.isReady()) {
        releaseHeld(); // what it sent before has left gRPC's buffer
      }
      for (WatchRequest r; (r = inbox.poll()) != null; ) {
        if (r == SHUTDOWN) {
          end(
              Status.UNAVAILABLE
                  .withDescription("node " + nodeId + " is shutting down; resume on another node")
                  .asRuntimeException());
          return;
        }
        if (r == COMPLETED) {
          end(null);
          return;
        }
        handle(r);
        if (ended) {
          return;
        }
      }
      boolean tick = progressDue;
      progressDue = false;
      boolean asked = progressAsked;
      progressAsked = false;
      // Round-robin one response per watcher, while the client keeps up.
      boolean sent = true;
      while (sent && !ended) {
        sent = false;
        for (Watcher w : watchers.values().toArray(new Watcher[0])) {
          if (!out.isReady()) {
            return; // the ready handler wakes us
          }
          sent |= step(w);
        }
      }
      if (tick || asked) {
        KvStore.ReadView view = raft.store().view();
        for (Watcher w : watchers.values()) {
          if (!out.isReady()) {
            return;
          }
          boolean caughtUp = w.next > view.applied().revision();
          boolean idle = !w.sentSinceTick;
          w.sentSinceTick = false;
          if (caughtUp && (asked || (w.progressNotify && idle))) {
            send(
                WatchResponse.newBuilder()
                    .setWatchId(w.id)
                    .setHeader(header(view.applied(), w.next - 1))
                    .build());
          }
        }
      }
    }

    /** Sends this watcher's next revisions, if any; returns whether it moved on. */
    private boolean step(Watcher w) {
      KvStore.ReadView view = raft.store().view();
      if (w.next > view.applied().revision()) {
        return false;
      }
      if (w.next < view.compacted()) {
        cancelCompacted(w, view);
        return true;
      }
      KvStore.ChangePage page = view.changes(w.next, w.keys, w.prevKv, MAX_RESPONSE_BYTES);
      WatchResponse.Builder b = WatchResponse.newBuilder().setWatchId(w.id);
      for (KvStore.Change c : page.changes()) {
        if (c.isDelete() ? w.noDelete : w.noPut) {
          continue;
        }
        b.addEvents(event(c));
      }
      boolean moved = page.next() > w.next;
      if (b.getEventsCount() == 0) {
        w.next = page.next();
        return moved; // nothing this watcher wants in these revisions
      }
      WatchResponse response = b.setHeader(header(view.applied(), page.next() - 1)).build();
      long size = response.getSerializedSize();
      if (!charge(size)) {
        // Over budget: wait (in history, costing nothing) until bytes are released.
        connection.starved.add(this);
        nodeBudget.starved.add(this);
        if (charge(size)) {
          connection.starved.remove(this);
          nodeBudget.starved.remove(this);
        } else {
          return false;
        }
      }
      held.addAndGet(size);
      w.next = page.next();
      send(response);
      w.sentSinceTick = true;
      return true;
    }

    private void cancelCompacted(Watcher w, KvStore.ReadView view) {
      watchers.remove(w.id);
      send(
          WatchResponse.newBuilder()
              .setWatchId(w.id)
              .setHeader(header(view.applied(), view.applied().revision()))
              .setCanceled(true)
              .setCompactRevision(view.compacted())
              .setCancelReason(
                  "revision "
                      + w.next
                      + " has been compacted; the oldest readable revision is "
                      + view.compacted())
              .build());
    }

    private void handle(WatchRequest r) {
      switch (r.getRequestCase()) {
        case CREATE -> create(r.getCreate());
        case CANCEL -> {
          Watcher w = watchers.remove(r.getCancel().getWatchId());
          if (w != null) {
            send(
                WatchResponse.newBuilder()
                    .setWatchId(w.id)
                    .setHeader(header(raft.store().view().applied(), w.next - 1))
                    .setCanceled(true)
                    .setCancelReason("cancelled by the client")
                    .build());
          }
        }
        case PROGRESS -> progressAsked = true;
        case REQUEST_NOT_SET -> end(
            Status.INVALID_ARGUMENT
                .withDescription("watch request without create, cancel or progress")
                .asRuntimeException());
      }
    }

    private void create(WatchCreateRequest c) {
      KvStore.ReadView view = raft.store().view();
      long id = c.getWatchId();
      try {
        if (id < 0) {
          throw new InvalidRequestException("watch_id must not be negative");
        }
        if (id == 0) {
          id = nextServerId++;
        }
        if (watchers.containsKey(id)) {
          throw new InvalidRequestException("watch_id " + id + " is already in use on this stream");
        }
        if (watchers.size() >= MAX_WATCHES_PER_STREAM) {
          throw new InvalidRequestException(
              "a stream holds at most " + MAX_WATCHES_PER_STREAM + " watches");
        }
        if (c.getStartRevision() < 0) {
          throw new InvalidRequestException("start_revision must not be negative");
        }
        io.ternkv.server.auth.KeySpan span = keySpan(c);
        try {
          auth.check(caller, io.ternkv.server.auth.Access.READ, span);
        } catch (io.ternkv.server.PermissionDeniedException | io.ternkv.server.UnauthenticatedException e) {
          end(ErrorMapper.toStatus(nodeId, e));
          return;
        }
        Predicate<byte[]> keys = keyFilter(span);
        long start =
            c.getStartRevision() == 0 ? view.applied().revision() + 1 : c.getStartRevision();
        Watcher w = new Watcher(id, keys, start, c.getPrevKv(), c.getNoPut(), c.getNoDelete(), c.getProgressNotify());
        if (start < view.compacted()) {
          send(WatchResponse.newBuilder().setWatchId(id).setCreated(true).setHeader(header(view.applied(), start - 1)).build());
          cancelCompacted(w, view);
          return;
        }
        watchers.put(id, w);
        send(
            WatchResponse.newBuilder()
                .setWatchId(id)
                .setCreated(true)
                .setHeader(header(view.applied(), start - 1))
                .build());
      } catch (InvalidRequestException e) {
        send(
            WatchResponse.newBuilder()
                .setWatchId(id)
                .setHeader(header(view.applied(), view.applied().revision()))
                .setCreated(true)
                .setCanceled(true)
                .setCancelReason("invalid watch: " + e.getMessage())
                .build());
      }
    }

    private Predicate<byte[]> keyFilter(io.ternkv.server.auth.KeySpan span) {
      byte[] start = span.start();
      byte[] end = span.end();
      return k -> Arrays.compareUnsigned(k, start) >= 0 && (end == null || Arrays.compareUnsigned(k, end) < 0);
    }

    private io.ternkv.server.auth.KeySpan keySpan(WatchCreateRequest c) {
      if (!c.getPrefix().isEmpty() || !c.getEnd().isEmpty() || c.getToEnd()) {
        KvService.Bounds b;
        if (c.getToEnd()) {
          if (!c.getEnd().isEmpty() || !c.getPrefix().isEmpty()) {
            throw new InvalidRequestException("a watch takes to_end, end or prefix, only one");
          }
          limits.checkKey("key", c.getKey().size());
          b = new KvService.Bounds(c.getKey().toByteArray(), null);
        } else {
          b = KvService.Bounds.of(c.getKey(), c.getEnd(), c.getPrefix(), limits);
        }
        return io.ternkv.server.auth.KeySpan.of(b.start(), b.end());
      }
      limits.checkKey("key", c.getKey().size());
      return io.ternkv.server.auth.KeySpan.key(c.getKey().toByteArray());
    }

    private void send(WatchResponse response) {
      if (ended) {
        return;
      }
      try {
        out.onNext(response);
      } catch (RuntimeException e) {
        // Cancelled under us.
        cancelled();
      }
    }

    private ResponseHeader header(AppliedState at, long revision) {
      return ResponseHeader.newBuilder()
          .setNodeId(nodeId)
          .setRevision(revision)
          .setRaftIndex(at.index())
          .setRaftTerm(raft.term())
          .build();
    }
  }

  private static final WatchRequest COMPLETED =
      WatchRequest.newBuilder().setProgress(io.ternkv.proto.v1.WatchProgressRequest.newBuilder()).build();

  private static Event event(KvStore.Change c) {
    ByteString key = UnsafeByteOperations.unsafeWrap(c.key());
    Event.Builder e = Event.newBuilder();
    if (c.isDelete()) {
      e.setType(Event.EventType.DELETE)
          .setKv(KeyValue.newBuilder().setKey(key).setModRevision(c.revision()));
    } else {
      e.setType(Event.EventType.PUT).setKv(KvService.toKeyValue(key, c.value()));
    }
    if (c.previous() != null) {
      e.setPrevKv(KvService.toKeyValue(key, c.previous()));
    }
    return e.build();
  }

  /** One watch: what it wants and the next revision it owes. Touched only by its stream's pump. */
  private static final class Watcher {
    final long id;
    final Predicate<byte[]> keys;
    long next;
    final boolean prevKv;
    final boolean noPut;
    final boolean noDelete;
    final boolean progressNotify;
    boolean sentSinceTick;

    Watcher(
        long id,
        Predicate<byte[]> keys,
        long next,
        boolean prevKv,
        boolean noPut,
        boolean noDelete,
        boolean progressNotify) {
      this.id = id;
      this.keys = keys;
      this.next = next;
      this.prevKv = prevKv;
      this.noPut = noPut;
      this.noDelete = noDelete;
      this.progressNotify = progressNotify;
    }
  }
}
