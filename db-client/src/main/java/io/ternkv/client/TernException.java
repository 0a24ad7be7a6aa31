package io.ternkv.client;

/**
 * Base of every error the client throws (unchecked). {@link #code()} says why; {@link
 * #isRetriable()} says whether the same request may succeed later. The client already retries
 * retriable errors within its request timeout, so callers see them only once that time is spent.
 */
public class TernException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  /** Creates an exception with a code, a message for people and an optional cause. */
  public TernException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** Why the call failed. */
  public ErrorCode code() {
    return code;
  }

  /** Whether the same request may succeed if sent again later. */
  public boolean isRetriable() {
    return switch (code) {
      case NOT_LEADER, UNAVAILABLE, RESOURCE_EXHAUSTED, TIMEOUT -> true;
      default -> false;
    };
  }
}
