package io.ternkv.server;

/** A request that is malformed or over a limit; rejected before anything reaches the log. */
public final class InvalidRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming the offending field. */
  public InvalidRequestException(String message) {
    super(message);
  }
}
