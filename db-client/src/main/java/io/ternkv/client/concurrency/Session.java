package io.ternkv.client.concurrency;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.KeepAlive;
import io.ternkv.client.Lease;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One lease, granted with a TTL and kept alive by the client's {@link KeepAlive} until the session
 * is closed: the liveness that {@link Lock} and {@link Election} keys are attached to. Closing the
 * session revokes the lease, which deletes those keys at once; a process that dies without closing
 * it loses them a TTL after its last keep-alive.
 *
 * <pre>{@code
 * try (Session session = Session.open(client, Duration.ofSeconds(10))) {
 *   session.ended().thenAccept(how -> log.warn("session {}", how)); // EXPIRED: stop the work
 *   ...
 * }
 * }</pre>
 *
 * <p>A session ends once, in one of two ways: {@link State#CLOSED} by {@link #close()}, or {@link
 * State#EXPIRED} when keep-alive stops for good because the lease turned out to be gone (a renewal
 * found it expired or revoked, or a lock or election write was refused for it). Keep-alive rides
 * out leader changes and unreachable nodes; it only learns that the lease expired meanwhile once it
 * reaches the leader again, so a session cut off for longer than its TTL may be expired on the
 * server before {@link #isExpired()} says so. That is why locks hand out fencing tokens.
 *
 * <p>Close the session before its client: a session whose client is closed first stops renewing
 * without noticing, and its lease expires on the server after its TTL.
 *
 * <p>Threading: thread-safe. Futures and end notifications complete on client or recipe timer
 * threads; do not block in their callbacks.
 */
public final class Session implements AutoCloseable {
  /** Lease TTL by default, as in etcd: how long a dead holder keeps its locks. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);

  /** Longest pause between two looks at the keep-alive's state. */
  private static final Duration MAX_CHECK_PERIOD = Duration.ofMillis(500);

  private static final Logger LOG = LoggerFactory.getLogger(Session.class);

  /** Where a session is in its life. */
  public enum State {
    /** The lease is being kept alive. */
    ACTIVE,
    /** The lease is gone without {@link #close()}: its keys, locks and leadership are lost. */
    EXPIRED,
    /** {@link #close()} was called: keep-alive stopped and the lease was revoked. */
    CLOSED
  }

  /** A lock or election holding this session's key under one prefix. */
  interface Claimant {
    /**
     * The session ended (expired or closed) and its keys are gone or going. Called once, on the
     * thread that ended the session, without the session's lock held.
     */
    void sessionEnded(TernException reason);
  }

  private final TernClient client;
  private final Lease lease;
  private final KeepAlive keepAlive;
  private final CompletableFuture<State> ended = new CompletableFuture<>();

  // Under this.
  private final Map<ByteBuffer, Claimant> claims = new HashMap<>();
  private State state = State.ACTIVE;
  private Throwable failure;
  private TernException endReason;
  private CompletableFuture<Void> closing;
  private ScheduledFuture<?> monitor;

  private Session(TernClient client, Lease lease) {
    this.client = client;
    this.lease = lease;
    this.keepAlive = client.keepAlive(lease);
  }

  /**
   * Starts looking at the keep-alive; outside the constructor so no check sees a half-built
   * session.
   */
  private Session startMonitor() {
    Duration period = lease.ttl().dividedBy(6);
    if (period.compareTo(MAX_CHECK_PERIOD) > 0) {
      period = MAX_CHECK_PERIOD;
    }
    if (period.toMillis() < 50) {
      period = Duration.ofMillis(50);
    }
    ScheduledFuture<?> task = RecipeTimer.every(period, this::check);
    synchronized (this) {
      if (state == State.ACTIVE) {
        monitor = task;
        return this;
      }
    }
    task.cancel(false); // the first check already found the lease gone
    return this;
  }

  /**
   * Opens a session with a lease of {@link #DEFAULT_TTL}.
   *
   * @throws TernException when the lease cannot be granted (e.g. {@code RequestTimeoutException})
   * @throws IllegalStateException when the client is closed
   */
  public static Session open(TernClient client) {
    return open(client, DEFAULT_TTL);
  }

  /**
   * Opens a session: grants a lease of {@code ttl} and starts keeping it alive.
   *
   * @param ttl at least one second (the server's minimum); a holder that dies keeps its locks this
   *     long
   * @throws io.ternkv.client.InvalidArgumentException for a TTL the server refuses
   * @throws TernException when the lease cannot be granted (e.g. {@code RequestTimeoutException})
   * @throws IllegalStateException when the client is closed
   */
  public static Session open(TernClient client, Duration ttl) {
    return Blocking.await(openAsync(client, ttl));
  }

  /**
   * Asynchronous {@link #open(TernClient, Duration)}.
   *
   * @return a future of the session, failing as {@link #open(TernClient, Duration)} throws
   */
  public static CompletableFuture<Session> openAsync(TernClient client, Duration ttl) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(ttl, "ttl");
    return client
        .leaseGrantAsync(ttl)
        .thenApply(lease -> new Session(client, lease).startMonitor());
  }

  /** The client this session's recipes talk through. */
  public TernClient client() {
    return client;
  }

  /** The session's lease: its id names the keys of this session's locks and candidacies. */
  public Lease lease() {
    return lease;
  }

  /** Where the session is in its life; see {@link State}. */
  public synchronized State state() {
    return state;
  }

  /**
   * Whether the lease is known to be gone without {@link #close()}. False while keep-alive has not
   * yet reached the leader to find out (see the class comment).
   */
  public synchronized boolean isExpired() {
    return state == State.EXPIRED;
  }

  /** For an expired session, how the expiry was noticed. */
  public synchronized Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /**
   * A future completing, once, with {@link State#EXPIRED} or {@link State#CLOSED} when the session
   * ends; it never fails. Locks and elections of the session have already let go when it completes.
   * Each call returns a new future: completing or cancelling it does not affect the session.
   */
  public CompletableFuture<State> ended() {
    return ended.copy();
  }

  /**
   * Ends the session: stops keep-alive and revokes the lease, which deletes the session's keys at
   * once (releasing its locks and leadership). Idempotent. Never throws: when the revocation fails
   * (no leader within the request timeout), the lease still expires after its TTL; the failure is
   * logged. Blocks for up to the client's request timeout.
   */
  @Override
  public void close() {
    try {
      Blocking.await(closeAsync());
    } catch (RuntimeException e) {
      LOG.warn(
          "lease {} was not revoked ({}); its keys go when it expires after {} ms",
          lease.id(),
          e.getMessage(),
          lease.ttl().toMillis());
    }
  }

  /**
   * Asynchronous {@link #close()}: the session is {@link State#CLOSED} (and its locks released
   * locally) when this returns.
   *
   * @return a future completing when the lease is revoked (or was already gone), failing with the
   *     revocation's {@link TernException} otherwise; the same future on every call
   */
  public CompletableFuture<Void> closeAsync() {
    List<Claimant> tell;
    CompletableFuture<Void> done;
    boolean revoke;
    ScheduledFuture<?> task;
    synchronized (this) {
      if (closing != null) {
        return closing;
      }
      closing = done = new CompletableFuture<>();
      revoke = state == State.ACTIVE;
      if (revoke) {
        state = State.CLOSED;
        endReason =
            new TernException(
                ErrorCode.CANCELLED, "session closed (lease " + lease.id() + " revoked)", null);
      }
      tell = new ArrayList<>(claims.values());
      task = monitor;
    }
    if (task != null) {
      task.cancel(false);
    }
    keepAlive.close();
    if (!revoke) {
      done.complete(null);
      return done;
    }
    tell.forEach(c -> c.sessionEnded(endReason));
    ended.complete(State.CLOSED);
    try {
      client
          .leaseRevokeAsync(lease.id())
          .whenComplete(
              (deleted, e) -> {
                Throwable cause = e == null ? null : Blocking.cause(e);
                if (cause == null
                    || cause instanceof TernException t
                        && t.code() == ErrorCode.FAILED_PRECONDITION) {
                  done.complete(null); // revoked now, or already gone
                } else {
                  done.completeExceptionally(cause);
                }
              });
    } catch (RuntimeException e) {
      done.completeExceptionally(e); // the client is closed
    }
    return done;
  }

  @Override
  public String toString() {
    return "Session[lease " + lease.id() + ", " + state() + "]";
  }

  // ---- for Lock and Election

  /** This session's key in a lock or election directory: the directory, then the lease in hex. */
  byte[] keyIn(byte[] directory) {
    byte[] id = Long.toHexString(lease.id()).getBytes(StandardCharsets.UTF_8);
    byte[] key = Arrays.copyOf(directory, directory.length + id.length);
    System.arraycopy(id, 0, key, directory.length, id.length);
    return key;
  }

  /**
   * Registers {@code who} as the one user of {@code key} in this process, so two locks or elections
   * of one session never share a key unknowingly.
   *
   * @throws IllegalStateException when the session is closed, or another claimant holds the key
   * @throws SessionExpiredException when the session expired
   */
  synchronized void claim(byte[] key, Claimant who) {
    if (state == State.CLOSED) {
      throw new IllegalStateException("session is closed");
    }
    if (state == State.EXPIRED) {
      throw new SessionExpiredException(lease.id(), failure);
    }
    Claimant other = claims.putIfAbsent(ByteBuffer.wrap(key.clone()), who);
    if (other != null && other != who) {
      throw new IllegalStateException(
          "this session already uses key "
              + new String(key, StandardCharsets.UTF_8)
              + " for another Lock or Election; use one per session and prefix");
    }
  }

  /** Undoes {@link #claim} by {@code who}; no effect when someone else holds the key. */
  synchronized void release(byte[] key, Claimant who) {
    claims.remove(ByteBuffer.wrap(key), who);
  }

  /** Why the session ended, or null while it is active. */
  synchronized TernException endReason() {
    return state == State.EXPIRED ? new SessionExpiredException(lease.id(), failure) : endReason;
  }

  /**
   * Ends the session as {@link State#EXPIRED} because its lease is gone; no effect once it ended.
   */
  void expire(Throwable cause) {
    List<Claimant> tell;
    SessionExpiredException reason;
    ScheduledFuture<?> task;
    synchronized (this) {
      if (state != State.ACTIVE) {
        return;
      }
      state = State.EXPIRED;
      failure = cause;
      endReason = reason = new SessionExpiredException(lease.id(), cause);
      tell = new ArrayList<>(claims.values());
      task = monitor;
    }
    if (task != null) {
      task.cancel(false); // null when the first check expires it: startMonitor cancels it
    }
    keepAlive.close();
    LOG.info(
        "session lease {} expired: {}", lease.id(), cause == null ? "gone" : cause.getMessage());
    tell.forEach(c -> c.sessionEnded(reason));
    ended.complete(State.EXPIRED);
  }

  /**
   * Turns an error of a write made with this session's lease into what callers should see: when the
   * lease is gone, the session expires and the error becomes a {@link SessionExpiredException};
   * otherwise the error as is. Asks the leader only for FAILED_PRECONDITION, the code a missing
   * lease is refused with (and, alas, also an applied write whose result was lost).
   */
  CompletableFuture<Throwable> explain(Throwable error) {
    Throwable cause = Blocking.cause(error);
    synchronized (this) {
      if (state != State.ACTIVE) {
        return CompletableFuture.completedFuture(endReason);
      }
    }
    if (!(cause instanceof TernException t) || t.code() != ErrorCode.FAILED_PRECONDITION) {
      return CompletableFuture.completedFuture(cause);
    }
    try {
      return client
          .leaseTimeToLiveAsync(lease.id(), false)
          .handle(
              (info, e) -> {
                if (e == null && info.remaining().isEmpty()) {
                  expire(cause);
                  synchronized (this) {
                    return endReason;
                  }
                }
                return cause;
              });
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(cause);
    }
  }

  private void check() {
    Optional<Throwable> why = keepAlive.failure();
    if (why.isPresent()) {
      expire(why.get());
    }
  }
}
