package io.ternkv.client.concurrency;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.TernException;

/**
 * The session's lease is gone (it went a TTL without a keep-alive, or someone revoked it), so the
 * keys it held, and with them any lock or leadership, are gone too. Code {@link
 * ErrorCode#FAILED_PRECONDITION}; not retriable: open a new {@link Session}.
 */
public final class SessionExpiredException extends TernException {
  private static final long serialVersionUID = 1L;

  private final long leaseId;

  /**
   * Creates the exception.
   *
   * @param leaseId the session's lease
   * @param cause how the expiry was noticed, or null
   */
  public SessionExpiredException(long leaseId, Throwable cause) {
    super(
        ErrorCode.FAILED_PRECONDITION,
        "session lease "
            + leaseId
            + " expired or was revoked"
            + (cause == null ? "" : ": " + cause.getMessage()),
        cause);
    this.leaseId = leaseId;
  }

  /** The lease that expired. */
  public long leaseId() {
    return leaseId;
  }
}
