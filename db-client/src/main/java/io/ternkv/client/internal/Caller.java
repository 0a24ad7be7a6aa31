package io.ternkv.client.internal;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.ternkv.client.ErrorCode;
import io.ternkv.client.NotLeaderException;
import io.ternkv.client.RequestTimeoutException;
import io.ternkv.client.TernException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends calls to the cluster: finds the leader, follows redirects, and retries retriable errors
 * with backoff until the request timeout. The caller supplies a request that is safe to resend
 * (writes carry a fixed write id).
 *
 * <p>Threading: thread-safe. Futures complete on gRPC or the retry timer's threads.
 */
public final class Caller implements AutoCloseable {
  private static final int IMMEDIATE_REDIRECTS = 3;

  private final List<String> endpoints = new CopyOnWriteArrayList<>();
  private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final AtomicReference<String> current;
  private final long timeoutNanos;
  private final long backoffMinNanos;
  private final long backoffMaxNanos;
  private final ScheduledExecutorService timer;
  private final ClientTls tls;
  /** Addresses a probe found speaking TLS while this client speaks plaintext. */
  private final ConcurrentHashMap<String, Boolean> tlsVerdicts = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private final Credentials credentials;

  /** Creates a plaintext caller over the seed endpoints. */
  public Caller(List<String> seeds, Duration timeout, Duration backoffMin, Duration backoffMax) {
    this(seeds, timeout, backoffMin, backoffMax, null);
  }

  /** Creates a caller over the seed endpoints, over TLS unless {@code tls} is null. */
  public Caller(List<String> seeds, Duration timeout, Duration backoffMin, Duration backoffMax, ClientTls tls) {
    this(seeds, timeout, backoffMin, backoffMax, tls, null);
  }

  /**
   * Creates a caller over the seed endpoints, over TLS unless {@code tls} is null, logging in
   * with {@code credentials} unless null.
   */
  public Caller(
      List<String> seeds,
      Duration timeout,
      Duration backoffMin,
      Duration backoffMax,
      ClientTls tls,
      Credentials credentials) {
    this.credentials = credentials;
    this.tls = tls;
    endpoints.addAll(seeds);
    current = new AtomicReference<>(seeds.get(0));
    timeoutNanos = timeout.toNanos();
    backoffMinNanos = backoffMin.toNanos();
    backoffMaxNanos = backoffMax.toNanos();
    timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ternkv-client-retry");
              t.setDaemon(true);
              return t;
            });
  }

  /** Sends a request to the cluster, retrying as described above. */
  public <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request) {
    return call(method, request, timeoutNanos);
  }

  /**
   * Sends a request to the cluster, retrying as described above, within {@code timeout} instead
   * of the client's request timeout (for calls that may take long, like adding a node).
   */
  public <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request, Duration timeout) {
    return call(method, request, timeout.toNanos());
  }

  private <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request, long timeoutNanos) {
    checkOpen();
    CompletableFuture<R> result = new CompletableFuture<>();
    long deadline = System.nanoTime() + timeoutNanos;
    if (credentials != null && credentials.token() == null && !isLogin(method)) {
      // Log in before the first call: a node that would also accept a client certificate
      // must see the user this client was configured with.
      login(deadline)
          .whenComplete(
              (token, e) -> {
                if (e != null) {
                  result.completeExceptionally(e);
                } else {
                  attempt(method, request, deadline, timeoutNanos, 0, 0, null, false, result);
                }
              });
      return result;
    }
    attempt(method, request, deadline, timeoutNanos, 0, 0, null, false, result);
    return result;
  }

  /** Sends a request once to one address, no retries (for per-node questions like status). */
  public <Q, R> CompletableFuture<R> callOnce(String address, MethodDescriptor<Q, R> method, Q request) {
    checkOpen();
    CompletableFuture<R> result = new CompletableFuture<>();
    send(address, method, request, timeoutNanos)
        .whenComplete(
            (r, e) -> {
              if (e == null) {
                result.complete(r);
                return;
              }
              TernException mapped = StatusMapping.toException(e, address);
              if (!(mapped instanceof io.ternkv.client.AuthenticationException) || credentials == null) {
                result.completeExceptionally(mapped);
                return;
              }
              // Log in once, then ask again.
              login(System.nanoTime() + timeoutNanos)
                  .thenCompose(t -> send(address, method, request, timeoutNanos))
                  .whenComplete(
                      (again, e2) -> {
                        if (e2 == null) {
                          result.complete(again);
                        } else {
                          result.completeExceptionally(StatusMapping.toException(unwrap(e2), address));
                        }
                      });
            });
    return result;
  }

  /**
   * The client's timer thread: for short, non-blocking tasks only.
   *
   * @throws IllegalStateException when the client is closed
   */
  public ScheduledExecutorService timer() {
    checkOpen();
    return timer;
  }

  /** Whether this caller logs in with a user and password. */
  public boolean hasCredentials() {
    return credentials != null;
  }

  /**
   * Logs in again (one login shared by concurrent callers), for a stream to {@code address}
   * whose token was refused; the login itself may go to any node.
   *
   * @return a future failing with the login's error, or with {@link IllegalStateException}
   *     without credentials
   */
  public CompletableFuture<Void> renewLogin(String address) {
    if (credentials == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("no credentials"));
    }
    return login(System.nanoTime() + timeoutNanos).thenApply(t -> null);
  }

  /**
   * Logs in with the credentials (one login shared by concurrent callers), retrying on the
   * cluster like any call until {@code deadline}; fails with the mapped {@link TernException}.
   */
  private CompletableFuture<String> login(long deadline) {
    return credentials.renew(
        credentials.token(),
        (m, q) -> {
          CompletableFuture<io.ternkv.proto.v1.AuthenticateResponse> f = new CompletableFuture<>();
          attempt(m, q, deadline, timeoutNanos, 0, 0, null, true, f);
          return f;
        });
  }

  private static boolean isLogin(MethodDescriptor<?, ?> method) {
    return method.getFullMethodName().equals(io.ternkv.proto.v1.AuthGrpc.getAuthenticateMethod().getFullMethodName());
  }

  /** The address the next call goes to first (the leader, once found). */
  public String currentEndpoint() {
    return current.get();
  }

  /** The endpoint after {@code address} in this client's list (wrapping), for trying another node. */
  public String endpointAfter(String address) {
    return endpoints.contains(address) ? next(address) : current.get();
  }

  /**
   * The channel to one node, opened on first use and closed with this caller.
   *
   * @throws IllegalStateException when the client is closed
   */
  public ManagedChannel channel(String address) {
    checkOpen();
    return channels.computeIfAbsent(address, this::open);
  }

  /** A pause before retry number {@code tries} (0-based): exponential, jittered, capped. */
  public long backoffNanos(int tries) {
    return backoff(tries);
  }

  private <Q, R> void attempt(
      MethodDescriptor<Q, R> method,
      Q request,
      long deadline,
      long timeoutNanos,
      int tries,
      int redirects,
      TernException last,
      boolean renewed,
      CompletableFuture<R> result) {
    long left = deadline - System.nanoTime();
    if (closed) {
      result.completeExceptionally(new IllegalStateException("client is closed"));
      return;
    }
    if (left <= 0) {
      result.completeExceptionally(timeout(last, timeoutNanos));
      return;
    }
    String address = current.get();
    send(address, method, request, left)
        .whenComplete(
            (response, error) -> {
              if (error == null) {
                result.complete(response);
                return;
              }
              TernException e = StatusMapping.toException(error, address);
              if (e instanceof io.ternkv.client.AuthenticationException
                  && credentials != null
                  && !renewed
                  && !isLogin(method)) {
                // No token yet, or it expired or was revoked: log in once, then try again.
                login(deadline)
                    .whenComplete(
                        (token, loginError) -> {
                          if (loginError != null) {
                            result.completeExceptionally(StatusMapping.toException(loginError, address));
                          } else {
                            attempt(method, request, deadline, timeoutNanos, tries, redirects, e, true, result);
                          }
                        });
                return;
              }
              if (!e.isRetriable()) {
                result.completeExceptionally(e);
                return;
              }
              if (e instanceof NotLeaderException nle
                  && nle.leaderAddress().isPresent()
                  && redirects < IMMEDIATE_REDIRECTS) {
                String leader = nle.leaderAddress().get();
                if (!endpoints.contains(leader)) {
                  endpoints.add(leader);
                }
                current.compareAndSet(address, leader);
                attempt(method, request, deadline, timeoutNanos, tries + 1, redirects + 1, e, renewed, result);
                return;
              }
              // No usable hint: the node is down or has no leader: try the next endpoint after a
              // pause. An overloaded node (RESOURCE_EXHAUSTED) is asked again after the pause:
              // it is most likely the leader, and a follower would only send the call back to it.
              if (e.code() != ErrorCode.RESOURCE_EXHAUSTED) {
                current.compareAndSet(address, next(address));
              }
              long pause = backoff(tries);
              if (System.nanoTime() + pause >= deadline) {
                // An attempt cut short by the overall deadline says less about why the call
                // failed than the error before it (no leader, node down).
                boolean cutShort = e.code() == ErrorCode.TIMEOUT && last != null;
                result.completeExceptionally(timeout(cutShort ? last : e, timeoutNanos));
                return;
              }
              timer.schedule(
                  () -> attempt(method, request, deadline, timeoutNanos, tries + 1, 0, e, renewed, result),
                  pause,
                  TimeUnit.NANOSECONDS);
            });
  }

  private String next(String address) {
    int i = endpoints.indexOf(address);
    return endpoints.get((i + 1) % endpoints.size());
  }

  private long backoff(int tries) {
    long max = Math.min(backoffMaxNanos, backoffMinNanos << Math.min(tries, 20));
    return max / 2 + ThreadLocalRandom.current().nextLong(max / 2 + 1);
  }

  private RequestTimeoutException timeout(TernException last, long timeoutNanos) {
    String why =
        last == null
            ? "no attempt finished"
            : last.code() == ErrorCode.UNAVAILABLE || last.code() == ErrorCode.NOT_LEADER
                ? "no leader reachable at " + String.join(",", endpoints) + " (is the cluster running?); last error: " + last.getMessage()
                : "last error: " + last.getMessage();
    return new RequestTimeoutException(
        "request timed out after " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms: " + why, last);
  }

  private <Q, R> CompletableFuture<R> send(
      String address, MethodDescriptor<Q, R> method, Q request, long deadlineNanos) {
    CompletableFuture<R> f = new CompletableFuture<>();
    ManagedChannel channel = channels.computeIfAbsent(address, this::open);
    ClientCalls.asyncUnaryCall(
        channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS)),
        request,
        new StreamObserver<>() {
          @Override
          public void onNext(R value) {
            f.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            securityMismatch(address, t, f);
          }

          @Override
          public void onCompleted() {
            if (!f.isDone()) {
              f.completeExceptionally(new IllegalStateException("no response"));
            }
          }
        });
    return f;
  }

  private ManagedChannel open(String address) {
    NettyChannelBuilder b = NettyChannelBuilder.forTarget(address).maxInboundMessageSize(64 * 1024 * 1024);
    if (credentials != null) {
      b.intercept(credentials);
    }
    return (tls == null ? b.usePlaintext() : b.sslContext(tls.context())).build();
  }

  /**
   * The client's exception for a failed call or stream to {@code address}: a {@link
   * io.ternkv.client.TransportSecurityException} (not retriable) when the failure is a TLS
   * mismatch, else the usual mapping. Completes off the caller's thread when the node must be
   * probed (once per address); never fails.
   */
  public CompletableFuture<TernException> explain(String address, Throwable error) {
    CompletableFuture<Object> failed = new CompletableFuture<>();
    securityMismatch(address, error, failed);
    return failed.handle((v, e) -> StatusMapping.toException(e, address));
  }

  /**
   * Fails {@code f} with {@code error}, or with a {@link io.ternkv.client.TransportSecurityException}
   * (not retriable) when the failure is a TLS mismatch. A plaintext failure that may come from a
   * TLS node is checked with a handshake on a separate thread, once per address.
   */
  private <R> void securityMismatch(String address, Throwable error, CompletableFuture<R> f) {
    if (tls != null) {
      TernException mismatch = TlsErrors.overTls(error, address, tls.description());
      f.completeExceptionally(mismatch != null ? mismatch : error);
      return;
    }
    if (!TlsErrors.maybeTlsServer(error)) {
      f.completeExceptionally(error);
      return;
    }
    Boolean known = tlsVerdicts.get(address);
    if (known != null) {
      f.completeExceptionally(known ? TlsErrors.plaintextToTls(address, error) : error);
      return;
    }
    Thread probe =
        new Thread(
            () -> {
              boolean speaksTls = TlsErrors.speaksTls(address, 2000);
              if (speaksTls) {
                tlsVerdicts.put(address, true); // a "no" may change when the node comes up
              }
              f.completeExceptionally(speaksTls ? TlsErrors.plaintextToTls(address, error) : error);
            },
            "ternkv-client-tls-probe");
    probe.setDaemon(true);
    probe.start();
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("client is closed");
    }
  }

  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    for (ManagedChannel c : channels.values()) {
      c.shutdown();
    }
    for (ManagedChannel c : channels.values()) {
      try {
        if (!c.awaitTermination(2, TimeUnit.SECONDS)) {
          c.shutdownNow();
        }
      } catch (InterruptedException e) {
        c.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }
}
