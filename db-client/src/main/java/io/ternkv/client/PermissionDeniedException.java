package io.ternkv.client;

/**
 * The user is authenticated but its roles do not allow the call: the message names the user and
 * the key, prefix or range, or the operation (cluster and user administration need the {@code
 * root} role). A read or watch must be permitted on its whole range; ask for a narrower one. Not
 * retriable. Code {@link ErrorCode#PERMISSION_DENIED}.
 *
 * <p>Threading: immutable.
 */
public final class PermissionDeniedException extends TernException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public PermissionDeniedException(String message, Throwable cause) {
    super(ErrorCode.PERMISSION_DENIED, message, cause);
  }
}
