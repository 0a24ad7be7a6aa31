package io.ternkv.server;

/** The node is over a pending-request limit; the client should back off and retry. */
public final class ServerBusyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message saying which limit. */
  public ServerBusyException(String message, Throwable cause) {
    super(message, cause);
  }
}
