package io.ternkv.client.concurrency;

import io.ternkv.client.Compare;
import io.ternkv.client.ErrorCode;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.Txn;
import io.ternkv.client.TxnOp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * A mutex shared by every process that uses the same prefix, held by at most one {@link Session} at
 * a time, in the order the sessions asked (etcd's {@code concurrency.Mutex}).
 *
 * <p>To lock, the session puts the key {@code prefix/<lease id in hex>}, attached to its lease,
 * unless it exists; the session whose key was created first holds the lock, and every other one
 * waits for the key created just before its own to be deleted. Unlocking deletes the key; so does
 * the end of the session, at once when it is closed, a TTL after the last keep-alive when its
 * process dies.
 *
 * <pre>{@code
 * Lock lock = new Lock(session, "locks/reports");
 * lock.lock();
 * try {
 *   client.txn(Txn.builder().when(lock.ownerCompare()).then(TxnOp.put(k, v)).build());
 * } finally {
 *   lock.unlock();
 * }
 * }</pre>
 *
 * <p>Not re-entrant, and one claim per session: while this lock is held or being acquired, another
 * {@code lock} call on it fails with {@link IllegalStateException} rather than counting or
 * queueing, and so does locking a second {@code Lock} of the same session and prefix. Threads of
 * one process that must exclude each other through TernKV each use their own session (sessions may
 * share a client).
 *
 * <p>{@link #isHeld()} is this process's belief: true from a successful lock until {@link
 * #unlock()} or until the session is known to have ended. A holder cut off from the cluster for
 * longer than the TTL can have lost the lock before it knows; {@link #fencingToken()} and {@link
 * #ownerCompare()} let the protected writes check.
 *
 * <p>Errors: every method may fail with the client's {@link TernException}s ({@code
 * RequestTimeoutException} and so on); a lock attempt that fails removes its key before it reports
 * the failure (or says it could not). A session that expires fails a waiting attempt with {@link
 * SessionExpiredException}; a closed one with a {@link TernException} of code {@link
 * ErrorCode#CANCELLED}.
 *
 * <p>Threading: thread-safe. Asynchronous results complete on client threads; do not block in their
 * callbacks. Blocking methods, when interrupted, give up the attempt and throw a {@link
 * TernException} of code {@link ErrorCode#CANCELLED} with the interrupt flag kept.
 */
public final class Lock {
  private static final byte[] NO_VALUE = new byte[0];

  private enum Phase {
    IDLE,
    ACQUIRING,
    HELD,
    /** Held until the session ended; {@link #unlock()} acknowledges it. */
    LOST
  }

  private final Session session;
  private final TernClient client;
  private final byte[] directory;
  private final byte[] key;
  private final Session.Claimant claimant = this::sessionEnded;

  // Under this.
  private Phase phase = Phase.IDLE;
  private Acquisition attempt;
  private Acquisition.Head holder;

  /**
   * A lock on {@code prefix} for {@code session}; nothing is sent until it is locked.
   *
   * @param prefix the lock's name; keys go under it with a '/' appended unless it ends with one
   * @throws IllegalArgumentException when the prefix is empty
   */
  public Lock(Session session, byte[] prefix) {
    this.session = Objects.requireNonNull(session, "session");
    this.client = session.client();
    this.directory = Acquisition.directory(Objects.requireNonNull(prefix, "prefix"));
    this.key = session.keyIn(directory);
  }

  /** A lock on the UTF-8 bytes of {@code prefix}; see {@link #Lock(Session, byte[])}. */
  public Lock(Session session, String prefix) {
    this(session, Objects.requireNonNull(prefix, "prefix").getBytes(StandardCharsets.UTF_8));
  }

  /** The session the lock is held by. */
  public Session session() {
    return session;
  }

  /** This session's key under the prefix (a copy): it exists while the lock is held or awaited. */
  public byte[] key() {
    return key.clone();
  }

  /**
   * Blocks until the lock is held, however long that takes.
   *
   * @throws SessionExpiredException when the session expires while waiting
   * @throws IllegalStateException when this lock is already held or being acquired, another lock of
   *     the session uses the same prefix, or the session or client is closed
   * @throws TernException for a failed call (the attempt's key is removed first)
   */
  public void lock() {
    Blocking.await(lockAsync());
  }

  /**
   * Asynchronous {@link #lock()}. Cancelling the future gives up the attempt and removes its key
   * (or, when the lock was acquired meanwhile, unlocks it).
   *
   * @return a future completing once the lock is held; failing as {@link #lock()} throws, except
   *     for misuse, which throws {@link IllegalStateException} at once
   */
  public CompletableFuture<Void> lockAsync() {
    CompletableFuture<Boolean> attempt = acquire(null, null);
    CompletableFuture<Void> out = attempt.thenApply(held -> null);
    out.whenComplete(
        (v, e) -> {
          if (out.isCancelled()) {
            attempt.cancel(false);
          }
        });
    return out;
  }

  /**
   * Takes the lock if no other session holds or awaits it before this one; never waits for another
   * holder (it still waits for the cluster's answers).
   *
   * @return true when the lock is now held; false when another session was first (this attempt's
   *     key is removed by then)
   * @throws IllegalStateException as {@link #lock()}
   * @throws TernException as {@link #lock()}; also when the key of a refused attempt could not be
   *     removed (it then stays until the session ends)
   */
  public boolean tryLock() {
    return tryLock(Duration.ZERO);
  }

  /**
   * Waits up to {@code timeout} for the lock.
   *
   * @param timeout how long the whole attempt may take; zero or negative: {@link #tryLock()}
   * @return true when the lock is now held; false when the timeout passed first (this attempt's key
   *     is removed by then, so it does not hold up anyone)
   * @throws IllegalStateException as {@link #lock()}
   * @throws TernException as {@link #tryLock()}
   */
  public boolean tryLock(Duration timeout) {
    return Blocking.await(tryLockAsync(timeout));
  }

  /**
   * Asynchronous {@link #tryLock(Duration)}; cancelling the future gives up as in {@link
   * #lockAsync()}.
   *
   * @return a future of whether the lock is held, failing as {@link #tryLock(Duration)} throws
   */
  public CompletableFuture<Boolean> tryLockAsync(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    String name = Acquisition.show(directory);
    if (timeout.isZero() || timeout.isNegative()) {
      return acquire(
          null, new TernException(ErrorCode.TIMEOUT, "lock " + name + " is taken", null));
    }
    return acquire(
        timeout,
        new TernException(
            ErrorCode.TIMEOUT, "lock " + name + " not acquired within " + timeout, null));
  }

  /**
   * Releases the lock by deleting this session's key (only the version this lock created). A lock
   * lost because the session ended counts as released: no error.
   *
   * @throws IllegalStateException when the lock is neither held nor lost (never locked, already
   *     unlocked, or still being acquired: cancel that future instead)
   * @throws TernException when the delete failed; the lock then still counts as held and unlock may
   *     be retried (the key goes with the session anyway)
   */
  public void unlock() {
    Blocking.await(unlockAsync());
  }

  /**
   * Asynchronous {@link #unlock()}.
   *
   * @return a future completing once the key is deleted; misuse throws {@link
   *     IllegalStateException} at once
   */
  public CompletableFuture<Void> unlockAsync() {
    Acquisition.Head held;
    synchronized (this) {
      switch (phase) {
        case LOST -> {
          phase = Phase.IDLE;
          holder = null;
          return CompletableFuture.completedFuture(null);
        }
        case IDLE -> throw new IllegalStateException("lock " + this + " is not held");
        case ACQUIRING ->
            throw new IllegalStateException(
                "lock " + this + " is being acquired; cancel the lock future to give up");
        default -> held = holder;
      }
    }
    Txn delete =
        Txn.builder()
            .when(Compare.createRevision(key, Compare.Operator.EQUAL, held.createRevision()))
            .then(TxnOp.delete(key))
            .build();
    return client
        .txnAsync(delete)
        .thenAccept(
            r -> {
              // A failed compare means the key is already gone: released all the same.
              synchronized (this) {
                if (phase == Phase.HELD && holder == held) {
                  phase = Phase.IDLE;
                  holder = null;
                  session.release(key, claimant);
                }
              }
            });
  }

  /** Whether this process holds the lock, as far as it knows (see the class comment). */
  public synchronized boolean isHeld() {
    return phase == Phase.HELD;
  }

  /**
   * The lock's fencing token: the create revision of this session's key. Every new holder of the
   * lock gets a larger one, so a resource that remembers the largest token it saw can refuse a
   * holder that lost the lock without knowing.
   *
   * @throws IllegalStateException when the lock is not held
   */
  public synchronized long fencingToken() {
    if (phase != Phase.HELD) {
      throw new IllegalStateException("lock " + this + " is not held");
    }
    return holder.createRevision();
  }

  /**
   * A transaction compare that holds only while this session still holds the lock (its key exists
   * with the create revision of {@link #fencingToken()}).
   *
   * @throws IllegalStateException when the lock is not held
   */
  public Compare ownerCompare() {
    return Compare.createRevision(key, Compare.Operator.EQUAL, fencingToken());
  }

  @Override
  public String toString() {
    return Acquisition.show(key);
  }

  /**
   * Runs one attempt.
   *
   * @param timeout when the attempt gives up with {@code refused}, or null for never
   * @param refused the reason an attempt that gives up reports as {@code false}; null for an
   *     attempt that waits as long as needed
   */
  private CompletableFuture<Boolean> acquire(Duration timeout, TernException refused) {
    Acquisition acq;
    synchronized (this) {
      if (phase == Phase.ACQUIRING || phase == Phase.HELD) {
        throw new IllegalStateException(
            "lock "
                + this
                + " is already "
                + (phase == Phase.HELD ? "held" : "being acquired")
                + " by this Lock; it is not re-entrant");
      }
      try {
        session.claim(key, claimant);
      } catch (SessionExpiredException e) {
        return CompletableFuture.failedFuture(e);
      }
      acq = new Acquisition(session, directory, NO_VALUE, false, timeout == null ? refused : null);
      phase = Phase.ACQUIRING;
      attempt = acq;
      holder = null;
    }
    CompletableFuture<Boolean> out = new CompletableFuture<>();
    ScheduledFuture<?> timer =
        timeout == null ? null : RecipeTimer.after(timeout, () -> acq.abandon(refused, true));
    acq.start()
        .whenComplete(
            (head, error) -> {
              if (timer != null) {
                timer.cancel(false);
              }
              TernException ended = null;
              synchronized (this) {
                attempt = null;
                if (error == null) {
                  // The session may have ended as the attempt succeeded (too late to abandon it).
                  ended = session.endReason();
                  phase = ended == null ? Phase.HELD : Phase.IDLE;
                  holder = ended == null ? head : null;
                } else {
                  phase = Phase.IDLE;
                }
                if (phase == Phase.IDLE) {
                  session.release(key, claimant);
                }
              }
              if (ended != null) {
                out.completeExceptionally(ended);
              } else if (error == null) {
                if (!out.complete(true)) {
                  unlockAsync(); // cancelled as it succeeded: let go at once
                }
              } else if (Blocking.cause(error) == refused) {
                out.complete(false);
              } else {
                out.completeExceptionally(Blocking.cause(error));
              }
            });
    out.whenComplete(
        (v, e) -> {
          if (out.isCancelled()) {
            acq.abandon(
                new TernException(ErrorCode.CANCELLED, "lock attempt cancelled", null), true);
          }
        });
    return out;
  }

  private void sessionEnded(TernException reason) {
    Acquisition waiting = null;
    synchronized (this) {
      if (phase == Phase.HELD) {
        phase = Phase.LOST;
        session.release(key, claimant);
      } else if (phase == Phase.ACQUIRING) {
        waiting = attempt;
      }
    }
    if (waiting != null) {
      waiting.abandon(reason, false); // the session's end removes the key
    }
  }
}
