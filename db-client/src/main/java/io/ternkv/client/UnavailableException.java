package io.ternkv.client;

/** No node could serve the request now: no leader, node down or behind. Retriable. */
public final class UnavailableException extends TernException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public UnavailableException(String message, Throwable cause) {
    super(ErrorCode.UNAVAILABLE, message, cause);
  }
}
