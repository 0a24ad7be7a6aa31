package io.ternkv.client;

import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps one lease alive by renewing it every third of its TTL until closed, riding out leader
 * changes (each renewal goes through the client's usual leader search and retries). Renewal
 * stops for good when the lease turns out to be gone: {@link #isAlive()} is then false and
 * {@link #failure()} says why.
 *
 * <p>Threading: thread-safe; renewals run on the client's timer thread.
 */
public final class KeepAlive implements AutoCloseable {
  private final TernClient client;
  private final Lease lease;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final java.util.concurrent.atomic.AtomicBoolean inFlight =
      new java.util.concurrent.atomic.AtomicBoolean();
  private volatile ScheduledFuture<?> task;
  private volatile boolean closed;
  private final java.util.concurrent.CompletableFuture<Optional<Throwable>> stopped =
      new java.util.concurrent.CompletableFuture<>();
  private volatile java.time.Instant lastRenewal;

  KeepAlive(TernClient client, Lease lease, ScheduledExecutorService timer) {
    this.client = client;
    this.lease = lease;
    long period = Math.max(50, lease.ttl().toMillis() / 3);
    this.task = timer.scheduleWithFixedDelay(this::renew, 0, period, TimeUnit.MILLISECONDS);
  }

  private void renew() {
    // Never block here: this is the client's timer thread, which its retries also need.
    if (closed || failure.get() != null || !inFlight.compareAndSet(false, true)) {
      return;
    }
    client
        .leaseKeepAliveOnceAsync(lease.id())
        .whenComplete(
            (ttl, error) -> {
              inFlight.set(false);
              if (error == null && ttl.isPresent()) {
                lastRenewal = java.time.Instant.now();
              }
              if (error == null && ttl.isEmpty()) {
                stop(new TernException(ErrorCode.FAILED_PRECONDITION, "lease " + lease.id() + " no longer exists", null));
              } else if (unwrap(error) instanceof TernException e && isFinal(e.code())) {
                stop(e);
              }
              // Anything else (no leader within the request timeout, a call cut by a node that
              // stopped): try again next period; the lease has two thirds of its TTL, plus a new
              // leader's grace, to spare.
            });
  }

  /** Errors that the same renewal will meet again, so renewing on is pointless. */
  private static boolean isFinal(ErrorCode code) {
    return switch (code) {
      case INVALID_ARGUMENT, FAILED_PRECONDITION, UNAUTHENTICATED, PERMISSION_DENIED -> true;
      default -> false;
    };
  }

  private static Throwable unwrap(Throwable error) {
    while (error instanceof java.util.concurrent.CompletionException && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }

  private void stop(Throwable why) {
    failure.compareAndSet(null, why);
    ScheduledFuture<?> t = task;
    if (t != null) {
      t.cancel(false);
    }
    stopped.complete(Optional.of(failure.get()));
  }

  /** The client closed under this keep-alive: renewals cannot go on. */
  void clientClosed() {
    stop(new TernException(ErrorCode.CANCELLED, "the client was closed; lease " + lease.id() + " is no longer renewed", null));
  }

  /**
   * Completes once renewal has stopped for good: with the reason when it stopped on its own (the
   * lease is gone, the client was closed), empty after {@link #close()}. Completes on a client
   * thread; do not block in what it triggers.
   */
  public java.util.concurrent.CompletableFuture<Optional<Throwable>> stopped() {
    return stopped.copy();
  }

  /** When the last renewal succeeded, if one has. */
  public Optional<java.time.Instant> lastRenewal() {
    return Optional.ofNullable(lastRenewal);
  }

  /** The lease kept alive. */
  public Lease lease() {
    return lease;
  }

  /** Whether renewals continue: not closed, and the lease was still there at the last renewal. */
  public boolean isAlive() {
    return !closed && failure.get() == null;
  }

  /** Why renewal stopped on its own (the lease is gone), if it did. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure.get());
  }

  /** Stops renewing; the lease then expires after its TTL unless revoked sooner. */
  @Override
  public void close() {
    closed = true;
    task.cancel(false);
    stopped.complete(Optional.empty());
  }
}
