package io.ternkv.server;

/**
 * The caller is authenticated but its roles do not allow the operation. Maps to
 * PERMISSION_DENIED; the message names the user and the operation or key range.
 */
public final class PermissionDeniedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming the user and what was refused. */
  public PermissionDeniedException(String message) {
    super(message);
  }
}
