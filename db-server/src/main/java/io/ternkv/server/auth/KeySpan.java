package io.ternkv.server.auth;

import java.util.Arrays;

/**
 * A half-open key interval {@code [start, end)}: {@code start} empty is the first key, {@code
 * end} null means no end. Byte order is unsigned, as in the store.
 */
public record KeySpan(byte[] start, byte[] end) {
  /** The span of one key: {@code [key, key + 0x00)}. */
  public static KeySpan key(byte[] key) {
    return new KeySpan(key, Arrays.copyOf(key, key.length + 1));
  }

  /** The span of every key that starts with {@code prefix} (every key when it is empty). */
  public static KeySpan prefix(byte[] prefix) {
    return new KeySpan(prefix, prefixEnd(prefix));
  }

  /** A span from nullable bounds as the services validate them (null start = first key). */
  public static KeySpan of(byte[] start, byte[] end) {
    return new KeySpan(start == null ? new byte[0] : start, end);
  }

  /** The smallest key greater than every key with this prefix, or null when there is none. */
  public static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xFF) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return null;
  }

  /** Whether this span holds no key. */
  public boolean isEmpty() {
    return end != null && Arrays.compareUnsigned(end, start) <= 0;
  }

  /** Readable form for error messages: printable keys as text, others in hex. */
  @Override
  public String toString() {
    if (end != null && end.length == start.length + 1 && end[start.length] == 0
        && Arrays.equals(start, 0, start.length, end, 0, start.length)) {
      return "key " + show(start);
    }
    byte[] pe = prefixEnd(start);
    if (start.length > 0 && ((pe == null && end == null) || (pe != null && end != null && Arrays.equals(pe, end)))) {
      return "prefix " + show(start);
    }
    return "range [" + show(start) + ", " + (end == null ? "end" : show(end)) + ")";
  }

  static String show(byte[] b) {
    boolean printable = true;
    for (byte x : b) {
      if (x < 0x20 || x > 0x7e) {
        printable = false;
        break;
      }
    }
    if (printable) {
      return "\"" + new String(b, java.nio.charset.StandardCharsets.US_ASCII) + "\"";
    }
    StringBuilder sb = new StringBuilder("0x");
    for (byte x : b) {
      sb.append(String.format("%02x", x & 0xff));
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeySpan k && Arrays.equals(start, k.start) && Arrays.equals(end, k.end);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(start) + Arrays.hashCode(end);
  }
}
