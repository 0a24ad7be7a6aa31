package io.ternkv.client;

/** The request is malformed or over a limit (empty key, value too large, bad range). */
public final class InvalidArgumentException extends TernException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public InvalidArgumentException(String message, Throwable cause) {
    super(ErrorCode.INVALID_ARGUMENT, message, cause);
  }
}
