package io.ternkv.client;

import com.google.protobuf.ByteString;
import io.ternkv.proto.v1.TxnDelete;
import io.ternkv.proto.v1.TxnPut;
import io.ternkv.proto.v1.TxnRange;
import java.util.Objects;

/**
 * One operation of a {@link Txn}: a put, a delete of a key or range, or a range read. Operations
 * run in order; a read sees the writes of the operations before it. One branch may not put a key
 * twice, nor put a key it also deletes (the server answers INVALID_ARGUMENT).
 *
 * <p>Immutable and thread-safe.
 */
public final class TxnOp {
  private final io.ternkv.proto.v1.TxnOp wire;
  private final String description;

  private TxnOp(io.ternkv.proto.v1.TxnOp wire, String description) {
    this.wire = wire;
    this.description = description;
  }

  /** Stores {@code value} under {@code key}. */
  public static TxnOp put(byte[] key, byte[] value) {
    return put(key, value, 0);
  }

  /**
   * Stores {@code value} under {@code key}, attached to a lease (0: none). A lease that does not
   * exist fails the whole transaction with FAILED_PRECONDITION.
   */
  public static TxnOp put(byte[] key, byte[] value, long lease) {
    return new TxnOp(
        io.ternkv.proto.v1.TxnOp.newBuilder()
            .setPut(
                TxnPut.newBuilder()
                    .setKey(copy(key, "key"))
                    .setValue(copy(value, "value"))
                    .setLease(lease))
            .build(),
        "put " + KeyValue.showKey(key) + (lease == 0 ? "" : " with lease " + lease));
  }

  /** Deletes one key; its result says whether it existed. */
  public static TxnOp delete(byte[] key) {
    return new TxnOp(
        io.ternkv.proto.v1.TxnOp.newBuilder()
            .setDelete(TxnDelete.newBuilder().setKey(copy(key, "key")))
            .build(),
        "delete " + KeyValue.showKey(key));
  }

  /**
   * Deletes every key in a range (a prefix, or start/end); its result counts them.
   *
   * @throws IllegalArgumentException for {@link KeyRange#all()} (a transaction does not empty
   *     the whole store; name a range)
   */
  public static TxnOp delete(KeyRange range) {
    Objects.requireNonNull(range, "range");
    if (range.startRef().length == 0 && range.prefixRef().length == 0) {
      throw new IllegalArgumentException("delete needs a prefix or a start key");
    }
    TxnDelete.Builder d = TxnDelete.newBuilder();
    if (range.prefixRef().length > 0) {
      d.setPrefix(ByteString.copyFrom(range.prefixRef()));
    } else {
      d.setKey(ByteString.copyFrom(range.startRef()));
      if (range.endRef().length > 0) {
        d.setEnd(ByteString.copyFrom(range.endRef()));
      } else {
        d.setToEnd(true);
      }
    }
    return new TxnOp(
        io.ternkv.proto.v1.TxnOp.newBuilder().setDelete(d).build(), "delete " + range);
  }

  /** Reads one key. */
  public static TxnOp get(byte[] key) {
    ByteString k = copy(key, "key");
    byte[] end = java.util.Arrays.copyOf(key, key.length + 1);
    return new TxnOp(
        io.ternkv.proto.v1.TxnOp.newBuilder()
            .setRange(TxnRange.newBuilder().setStart(k).setEnd(ByteString.copyFrom(end)).setLimit(1))
            .build(),
        "get " + KeyValue.showKey(key));
  }

  /**
   * Reads up to {@code limit} keys of a range (0: the server's page limit).
   *
   * @throws IllegalArgumentException for a negative limit
   */
  public static TxnOp range(KeyRange range, int limit) {
    Objects.requireNonNull(range, "range");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative");
    }
    return new TxnOp(
        io.ternkv.proto.v1.TxnOp.newBuilder()
            .setRange(
                TxnRange.newBuilder()
                    .setStart(ByteString.copyFrom(range.startRef()))
                    .setEnd(ByteString.copyFrom(range.endRef()))
                    .setPrefix(ByteString.copyFrom(range.prefixRef()))
                    .setLimit(limit))
            .build(),
        "range " + range);
  }

  io.ternkv.proto.v1.TxnOp toWire() {
    return wire;
  }

  private static ByteString copy(byte[] b, String field) {
    return ByteString.copyFrom(Objects.requireNonNull(b, field));
  }

  /** Names the operation and key, never the value. */
  @Override
  public String toString() {
    return description;
  }
}
