package io.ternkv.server.apply;

import io.ternkv.server.InvalidRequestException;

/**
 * Size limits checked before a request reaches the log, so a bad request never becomes an entry.
 *
 * @param maxKeyBytes largest key accepted
 * @param maxValueBytes largest value accepted
 */
public record RequestLimits(int maxKeyBytes, int maxValueBytes) {
  /** Largest key by default: 4 KiB. */
  public static final int DEFAULT_MAX_KEY_BYTES = 4 * 1024;

  /** Largest value by default: 1 MiB. */
  public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

  /** Most keys one range response returns. */
  public static final int MAX_RANGE_PAGE = 10_000;

  /** Range responses stop adding keys past this many bytes of keys and values. */
  public static final long MAX_RANGE_BYTES = 4L * 1024 * 1024;

  /** Most compares plus operations in one transaction. */
  public static final int MAX_TXN_OPS = 1024;

  /**
   * Largest transaction once encoded as a log entry: below Ratis's 4 MiB bound on one entry, so a
   * transaction that passes this check can always be replicated.
   */
  public static final int MAX_TXN_BYTES = 3 * 1024 * 1024 + 512 * 1024;

  /** The default limits. */
  public static RequestLimits defaults() {
    return new RequestLimits(DEFAULT_MAX_KEY_BYTES, DEFAULT_MAX_VALUE_BYTES);
  }

  /**
   * Checks a key.
   *
   * @throws InvalidRequestException when the key is empty or too long
   */
  public void checkKey(String field, int length) {
    if (length == 0) {
      throw new InvalidRequestException(field + " must not be empty");
    }
    if (length > maxKeyBytes) {
      throw new InvalidRequestException(
          field + " is " + length + " bytes; the limit is " + maxKeyBytes + " bytes");
    }
  }

  /**
   * Checks a lease id given with a put (0: none).
   *
   * @return the id
   * @throws InvalidRequestException when it is negative
   */
  public static long checkLease(String field, long lease) {
    if (lease < 0) {
      throw new InvalidRequestException(field + " must not be negative, not " + lease);
    }
    return lease;
  }

  /**
   * Checks a value.
   *
   * @throws InvalidRequestException when the value is too large
   */
  public void checkValue(int length) {
    if (length > maxValueBytes) {
      throw new InvalidRequestException(
          "value is " + length + " bytes; the limit is " + maxValueBytes + " bytes");
    }
  }
}
