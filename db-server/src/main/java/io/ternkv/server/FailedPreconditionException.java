package io.ternkv.server;

/**
 * The request was valid but the state does not allow it (for example a put to a lease that does
 * not exist). Not retriable as is. Maps to FAILED_PRECONDITION.
 */
public final class FailedPreconditionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message saying what state was missing. */
  public FailedPreconditionException(String message) {
    super(message);
  }
}
