package io.ternkv.client;

/**
 * A read, watch or compaction named a revision the cluster cannot serve: one below the compacted
 * revision (that history is gone) or above the current revision. Code {@link
 * ErrorCode#OUT_OF_RANGE}; not retriable as is. Read at {@link #compactRevision()} or later, or
 * read the current state.
 */
public final class RevisionOutOfRangeException extends TernException {
  private static final long serialVersionUID = 1L;

  private final long compactRevision;
  private final long currentRevision;

  /**
   * Creates the exception.
   *
   * @param message what was asked and why it cannot be served
   * @param compactRevision the oldest readable revision when the node answered
   * @param currentRevision the newest revision when the node answered
   * @param cause the underlying error, or null
   */
  public RevisionOutOfRangeException(
      String message, long compactRevision, long currentRevision, Throwable cause) {
    super(ErrorCode.OUT_OF_RANGE, message, cause);
    this.compactRevision = compactRevision;
    this.currentRevision = currentRevision;
  }

  /** The oldest revision that could still be read. */
  public long compactRevision() {
    return compactRevision;
  }

  /** The newest revision when the node answered. */
  public long currentRevision() {
    return currentRevision;
  }
}
