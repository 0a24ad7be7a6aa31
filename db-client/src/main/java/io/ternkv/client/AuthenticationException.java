package io.ternkv.client;

/**
 * The cluster has authentication enabled and the call had no valid credentials: no user was
 * configured ({@link TernClient.Builder#credentials}), the user name or password is wrong, failed
 * logins for the user are being slowed down, or the user's token expired and logging in again
 * failed. A client with credentials logs in again by itself once when a token is refused, so
 * this reaches the caller only when that did not help. Not retriable as is. Code {@link
 * ErrorCode#UNAUTHENTICATED}. The message never holds a password or token.
 *
 * <p>Threading: immutable.
 */
public class AuthenticationException extends TernException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public AuthenticationException(String message, Throwable cause) {
    super(ErrorCode.UNAUTHENTICATED, message, cause);
  }
}
