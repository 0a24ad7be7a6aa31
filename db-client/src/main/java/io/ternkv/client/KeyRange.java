package io.ternkv.client;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A set of keys to read: all keys, the keys under a prefix, or the keys in {@code [start, end)}.
 * Keys compare as unsigned bytes. Immutable.
 */
public final class KeyRange {
  private static final byte[] EMPTY = new byte[0];
  private static final KeyRange ALL = new KeyRange(EMPTY, EMPTY, EMPTY);

  private final byte[] start;
  private final byte[] end;
  private final byte[] prefix;

  private KeyRange(byte[] start, byte[] end, byte[] prefix) {
    this.start = start;
    this.end = end;
    this.prefix = prefix;
  }

  /** Every key. */
  public static KeyRange all() {
    return ALL;
  }

  /**
   * Every key that starts with {@code prefix}.
   *
   * @throws IllegalArgumentException when the prefix is empty (use {@link #all()})
   */
  public static KeyRange prefix(byte[] prefix) {
    if (prefix == null || prefix.length == 0) {
      throw new IllegalArgumentException("prefix must not be empty; use KeyRange.all()");
    }
    return new KeyRange(EMPTY, EMPTY, prefix.clone());
  }

  /** Every key that starts with the UTF-8 bytes of {@code prefix}. */
  public static KeyRange prefix(String prefix) {
    return prefix(prefix.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Keys from {@code startInclusive} up to, not including, {@code endExclusive}.
   *
   * @param startInclusive first key; null or empty means the first key there is
   * @param endExclusive null or empty means no upper bound
   */
  public static KeyRange between(byte[] startInclusive, byte[] endExclusive) {
    return new KeyRange(
        startInclusive == null ? EMPTY : startInclusive.clone(),
        endExclusive == null ? EMPTY : endExclusive.clone(),
        EMPTY);
  }

  /**
   * The rest of this range after {@code key}: for paging, pass the last key of a page whose
   * {@link RangeResult#more()} was true.
   */
  public KeyRange after(byte[] key) {
    byte[] next = Arrays.copyOf(key, key.length + 1);
    byte[] upper = prefix.length > 0 ? prefixEnd(prefix) : end;
    return new KeyRange(next, upper == null ? EMPTY : upper, EMPTY);
  }

  /** The smallest key above every key with this prefix, or null when there is none. */
  private static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xFF) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return null;
  }

  /** First key (empty when unbounded or a prefix range); a copy. */
  public byte[] start() {
    return start.clone();
  }

  /** End key, exclusive (empty when unbounded or a prefix range); a copy. */
  public byte[] end() {
    return end.clone();
  }

  /** The prefix (empty unless a prefix range); a copy. */
  public byte[] prefix() {
    return prefix.clone();
  }

  byte[] startRef() {
    return start;
  }

  byte[] endRef() {
    return end;
  }

  byte[] prefixRef() {
    return prefix;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyRange r
        && Arrays.equals(start, r.start)
        && Arrays.equals(end, r.end)
        && Arrays.equals(prefix, r.prefix);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(start) + Arrays.hashCode(end)) + Arrays.hashCode(prefix);
  }

  @Override
  public String toString() {
    if (prefix.length > 0) {
      return "KeyRange{prefix=" + new String(prefix, StandardCharsets.UTF_8) + "}";
    }
    return "KeyRange{start="
        + new String(start, StandardCharsets.UTF_8)
        + ", end="
        + new String(end, StandardCharsets.UTF_8)
        + "}";
  }
}
