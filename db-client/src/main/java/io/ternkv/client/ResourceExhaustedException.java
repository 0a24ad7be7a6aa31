package io.ternkv.client;

/** A node shed load: over a pending-request limit. Retriable after a pause. */
public final class ResourceExhaustedException extends TernException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public ResourceExhaustedException(String message, Throwable cause) {
    super(ErrorCode.RESOURCE_EXHAUSTED, message, cause);
  }
}
