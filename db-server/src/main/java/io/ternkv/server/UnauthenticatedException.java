package io.ternkv.server;

/**
 * The caller gave no credentials, bad ones, or an expired token. Maps to UNAUTHENTICATED. The
 * message never holds a password or token.
 */
public final class UnauthenticatedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message saying what is missing or wrong. */
  public UnauthenticatedException(String message) {
    super(message);
  }
}
