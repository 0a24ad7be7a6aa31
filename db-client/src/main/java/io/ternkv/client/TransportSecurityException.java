package io.ternkv.client;

/**
 * The client and a node do not agree on transport security: one speaks TLS and the other
 * plaintext, the node's certificate is not signed by the CA the client trusts or does not name
 * the address, or the node requires a client certificate the client did not present (or does not
 * trust the one it did). A configuration problem: not retriable, and the message names the
 * endpoint and what to change. Code {@link ErrorCode#UNAUTHENTICATED}.
 */
public final class TransportSecurityException extends TernException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public TransportSecurityException(String message, Throwable cause) {
    super(ErrorCode.UNAUTHENTICATED, message, cause);
  }
}
