package io.ternkv.server;

/** The node cannot serve the request now (starting, shutting down, no quorum); retriable. */
public final class UnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message saying why. */
  public UnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
