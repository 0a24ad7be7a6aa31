package io.ternkv.client;

import com.google.protobuf.ByteString;
import java.util.Objects;

/**
 * A key with its value and history counters. Immutable; holds the bytes received without copying
 * them, and copies on {@link #key()} and {@link #value()}.
 */
public final class KeyValue {
  private final ByteString key;
  private final ByteString value;
  private final long createRevision;
  private final long modRevision;
  private final long version;
  private final long lease;

  KeyValue(ByteString key, ByteString value, long createRevision, long modRevision, long version, long lease) {
    this.key = key;
    this.value = value;
    this.createRevision = createRevision;
    this.modRevision = modRevision;
    this.version = version;
    this.lease = lease;
  }

  /** The key's bytes (a copy). */
  public byte[] key() {
    return key.toByteArray();
  }

  /** The value's bytes (a copy). */
  public byte[] value() {
    return value.toByteArray();
  }

  /** The key decoded as UTF-8 (malformed bytes become U+FFFD). */
  public String keyUtf8() {
    return key.toStringUtf8();
  }

  /** The value decoded as UTF-8 (malformed bytes become U+FFFD). */
  public String valueUtf8() {
    return value.toStringUtf8();
  }

  /** Number of value bytes. */
  public int valueSize() {
    return value.size();
  }

  /** Revision of the write that created the key (since it was last deleted). */
  public long createRevision() {
    return createRevision;
  }

  /** Revision of the last write to the key. */
  public long modRevision() {
    return modRevision;
  }

  /** Writes to the key since it was created; 1 after creation. */
  public long version() {
    return version;
  }

  /** The lease the key is attached to, or 0 for none. */
  public long lease() {
    return lease;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyValue kv
        && key.equals(kv.key)
        && value.equals(kv.value)
        && createRevision == kv.createRevision
        && modRevision == kv.modRevision
        && version == kv.version
        && lease == kv.lease;
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, value, createRevision, modRevision, version, lease);
  }

  /** Shows the key and the value's size, never the value itself. */
  @Override
  public String toString() {
    return "KeyValue{key="
        + (key.isValidUtf8() ? key.toStringUtf8() : "0x" + hex(key))
        + ", valueBytes="
        + value.size()
        + ", createRevision="
        + createRevision
        + ", modRevision="
        + modRevision
        + ", version="
        + version
        + (lease == 0 ? "" : ", lease=" + lease)
        + "}";
  }

  /** A key for messages: UTF-8 text as is, anything else as 0x-hex. */
  static String showKey(byte[] key) {
    ByteString b = ByteString.copyFrom(key);
    return b.isValidUtf8() ? b.toStringUtf8() : "0x" + hex(b);
  }

  private static String hex(ByteString b) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < b.size(); i++) {
      s.append(String.format("%02x", b.byteAt(i)));
    }
    return s.toString();
  }
}
