package io.ternkv.server;

/**
 * A read, watch or compaction named a revision the store cannot serve: one below the compacted
 * revision (its history is gone) or one above the current revision (it has not happened yet).
 * Not retriable as is. Maps to OUT_OF_RANGE, with both revisions in a status detail.
 */
public final class RevisionOutOfRangeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long compactRevision;
  private final long currentRevision;

  /**
   * Creates the exception.
   *
   * @param message what was asked and why it cannot be served
   * @param compactRevision the store's compacted revision at the time
   * @param currentRevision the store's current revision at the time
   */
  public RevisionOutOfRangeException(String message, long compactRevision, long currentRevision) {
    super(message);
    this.compactRevision = compactRevision;
    this.currentRevision = currentRevision;
  }

  /** The oldest revision still readable when this was thrown. */
  public long compactRevision() {
    return compactRevision;
  }

  /** The newest revision when this was thrown. */
  public long currentRevision() {
    return currentRevision;
  }

  /** The error for a revision below the compacted one. */
  public static RevisionOutOfRangeException compacted(long asked, long compacted, long current) {
    return new RevisionOutOfRangeException(
        "revision " + asked + " has been compacted; the oldest readable revision is " + compacted,
        compacted,
        current);
  }

  /** The error for a revision above the current one. */
  public static RevisionOutOfRangeException future(long asked, long compacted, long current) {
    return new RevisionOutOfRangeException(
        "revision " + asked + " is in the future; the current revision is " + current,
        compacted,
        current);
  }
}
