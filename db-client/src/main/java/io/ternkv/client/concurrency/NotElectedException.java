package io.ternkv.client.concurrency;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.TernException;

/**
 * An {@link Election} operation that needs leadership found this candidate not leading: it never
 * won, resigned, or lost its key (its session ended). Code {@link ErrorCode#FAILED_PRECONDITION};
 * not retriable: campaign again.
 */
public final class NotElectedException extends TernException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming the election. */
  public NotElectedException(String message) {
    super(ErrorCode.FAILED_PRECONDITION, message, null);
  }
}
