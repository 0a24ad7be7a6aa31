package io.ternkv.client.concurrency;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.TernException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * How the blocking methods wait for their asynchronous twins, the way {@code TernClient} does:
 * rethrow the {@link TernException} (or other unchecked exception) as is.
 */
final class Blocking {
  private Blocking() {}

  /**
   * Waits for {@code future}. An interrupt cancels the future (which abandons what it was doing),
   * keeps the thread's interrupt flag and throws a {@link TernException} with {@link
   * ErrorCode#CANCELLED}.
   */
  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw unchecked(e.getCause());
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new TernException(ErrorCode.CANCELLED, "interrupted while waiting for TernKV", e);
    } catch (CancellationException e) {
      throw new TernException(ErrorCode.CANCELLED, "cancelled", e);
    }
  }

  /** The error a future failed with, unwrapped from {@link CompletionException}. */
  static Throwable cause(Throwable error) {
    while ((error instanceof CompletionException || error instanceof ExecutionException)
        && error.getCause() != null) {
      error = error.getCause();
    }
    return error;
  }

  /** {@code error} as an unchecked exception to rethrow or to fail a future with. */
  static RuntimeException unchecked(Throwable error) {
    Throwable cause = cause(error);
    if (cause instanceof RuntimeException r) {
      return r;
    }
    return new TernException(ErrorCode.INTERNAL, String.valueOf(cause), cause);
  }
}
