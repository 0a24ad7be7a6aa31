package io.ternkv.server.grpc;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.ternkv.proto.v1.KVGrpc;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * Decides which thread runs a call's handler on a server built with a direct executor. The KV
 * service's point operations run on the transport thread that read the request: their handlers
 * validate, then hand the work to Raft or read one key, and never block, so a hand-off to a pool
 * would only add a thread switch to every request. Every other call (ranges that may read
 * megabytes, logins that hash a password, backups, membership changes that wait for Raft) moves
 * to {@code pool}, with its callbacks kept in order, as a server with a pool executor would run it.
 *
 * <p>Register it before the other interceptors, so that it runs last and the calls it moves carry
 * the context they set (the authenticated user).
 *
 * <p>Threading: thread-safe; one instance serves every call.
 */
public final class CallOffload implements ServerInterceptor {
  /** The KV methods whose handlers never block: get, put, delete and txn. */
  public static final Set<String> KV_POINT_METHODS =
      Set.of(
          KVGrpc.getGetMethod().getFullMethodName(),
          KVGrpc.getPutMethod().getFullMethodName(),
          KVGrpc.getDeleteMethod().getFullMethodName(),
          KVGrpc.getTxnMethod().getFullMethodName());

  private final Predicate<String> inline;
  private final Executor pool;

  /**
   * @param inline full method names that run on the transport thread
   * @param pool where every other call runs; must not run tasks on the calling thread
   */
  public CallOffload(Predicate<String> inline, Executor pool) {
    this.inline = inline;
    this.pool = pool;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (inline.test(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    Moved<ReqT> moved = new Moved<>(call, new Serial(pool));
    moved.run(() -> moved.delegate = next.startCall(call, headers));
    return moved;
  }

  /** A listener that replays each callback on the pool, in order, in the caller's context. */
  private static final class Moved<ReqT> extends ServerCall.Listener<ReqT> {
    private final ServerCall<?, ?> call;
    private final Serial serial;
    /** Set by the first task; read only by later tasks of the same serial executor. */
    private ServerCall.Listener<ReqT> delegate = new ServerCall.Listener<>() {};

    Moved(ServerCall<?, ?> call, Serial serial) {
      this.call = call;
      this.serial = serial;
    }

    void run(Runnable task) {
      Context context = Context.current();
      serial.execute(
          () -> {
            Context previous = context.attach();
            try {
              task.run();
            } catch (RuntimeException | Error e) {
              // As grpc does when a handler or interceptor throws: the call ends with the status
              // the exception carries (UNKNOWN for any other), and the server goes on.
              try {
                call.close(Status.fromThrowable(e), new Metadata());
              } catch (IllegalStateException alreadyClosed) {
                // the handler closed it before throwing
              }
            } finally {
              context.detach(previous);
            }
          });
    }

    @Override
    public void onMessage(ReqT message) {
      run(() -> delegate.onMessage(message));
    }

    @Override
    public void onHalfClose() {
      run(() -> delegate.onHalfClose());
    }

    @Override
    public void onCancel() {
      run(() -> delegate.onCancel());
    }

    @Override
    public void onComplete() {
      run(() -> delegate.onComplete());
    }

    @Override
    public void onReady() {
      run(() -> delegate.onReady());
    }
  }

  /** Runs tasks on a pool one at a time, in the order they were given. */
  private static final class Serial implements Executor {
    private final Executor pool;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    Serial(Executor pool) {
      this.pool = pool;
    }

    @Override
    public void execute(Runnable task) {
      tasks.add(task);
      schedule();
    }

    private void schedule() {
      if (scheduled.compareAndSet(false, true)) {
        try {
          pool.execute(this::drain);
        } catch (RuntimeException e) {
          scheduled.set(false);
          throw e;
        }
      }
    }

    private void drain() {
      try {
        for (Runnable task = tasks.poll(); task != null; task = tasks.poll()) {
          task.run();
        }
      } finally {
        scheduled.set(false);
        // A task added after the last poll found its schedule() refused while this ran.
        if (!tasks.isEmpty()) {
          schedule();
        }
      }
    }
  }
}
