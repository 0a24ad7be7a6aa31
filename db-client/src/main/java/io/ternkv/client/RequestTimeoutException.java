package io.ternkv.client;

/**
 * The request timeout passed before the call succeeded. The cause is the last error seen.
 *
 * <p>A write that timed out may or may not have been applied: its outcome is unknown. Retrying it
 * through the same {@link TernClient} within about a minute is safe (the write id makes it
 * exactly-once); a new write with the same content is a new write.
 */
public final class RequestTimeoutException extends TernException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public RequestTimeoutException(String message, Throwable cause) {
    super(ErrorCode.TIMEOUT, message, cause);
  }
}
