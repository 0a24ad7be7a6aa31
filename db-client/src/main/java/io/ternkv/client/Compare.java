package io.ternkv.client;

import java.util.Objects;

/**
 * One condition of a {@link Txn}, evaluated on the leader against the state just before the
 * transaction. A key that does not exist has version, create revision and mod revision 0; a
 * {@link Target#VALUE} compare on it is false whatever the operator.
 *
 * <p>Immutable and thread-safe.
 */
public final class Compare {
  /** What part of the key's record is compared. */
  public enum Target {
    /** Writes since the key was created (0 when absent). */
    VERSION,
    /** Revision that created the key (0 when absent). */
    CREATE_REVISION,
    /** Revision of the key's last write (0 when absent). */
    MOD_REVISION,
    /** The value, in unsigned byte-wise order. */
    VALUE
  }

  /** How the key's current state is compared with the operand. */
  public enum Operator {
    /** Current equals operand. */
    EQUAL,
    /** Current differs from operand. */
    NOT_EQUAL,
    /** Current is less than operand. */
    LESS,
    /** Current is greater than operand. */
    GREATER
  }

  private final byte[] key;
  private final Target target;
  private final Operator operator;
  private final long number;
  private final byte[] value;

  private Compare(byte[] key, Target target, Operator operator, long number, byte[] value) {
    this.key = Objects.requireNonNull(key, "key").clone();
    this.target = target;
    this.operator = Objects.requireNonNull(operator, "operator");
    this.number = number;
    this.value = value;
  }

  /** Compares the key's version (writes since creation; 0 when absent). */
  public static Compare version(byte[] key, Operator operator, long version) {
    return new Compare(key, Target.VERSION, operator, version, null);
  }

  /** Compares the revision that created the key (0 when absent). */
  public static Compare createRevision(byte[] key, Operator operator, long revision) {
    return new Compare(key, Target.CREATE_REVISION, operator, revision, null);
  }

  /** Compares the revision of the key's last write (0 when absent). */
  public static Compare modRevision(byte[] key, Operator operator, long revision) {
    return new Compare(key, Target.MOD_REVISION, operator, revision, null);
  }

  /** Compares the key's value; false for an absent key whatever the operator. */
  public static Compare value(byte[] key, Operator operator, byte[] value) {
    return new Compare(
        key, Target.VALUE, operator, 0, Objects.requireNonNull(value, "value").clone());
  }

  /** Holds when the key exists. */
  public static Compare exists(byte[] key) {
    return version(key, Operator.GREATER, 0);
  }

  /** Holds when the key does not exist. */
  public static Compare absent(byte[] key) {
    return version(key, Operator.EQUAL, 0);
  }

  /** The key compared (a copy). */
  public byte[] key() {
    return key.clone();
  }

  /** The part of the record compared. */
  public Target target() {
    return target;
  }

  /** The comparison. */
  public Operator operator() {
    return operator;
  }

  /** The operand for version and revision targets; 0 for VALUE. */
  public long number() {
    return number;
  }

  /** The operand for {@link Target#VALUE} (a copy), else null. */
  public byte[] value() {
    return value == null ? null : value.clone();
  }

  io.ternkv.proto.v1.Compare toWire() {
    io.ternkv.proto.v1.Compare.Builder b =
        io.ternkv.proto.v1.Compare.newBuilder()
            .setKey(com.google.protobuf.ByteString.copyFrom(key))
            .setTarget(io.ternkv.proto.v1.Compare.Target.valueOf(target.name()))
            .setOperator(io.ternkv.proto.v1.Compare.Operator.valueOf(operator.name()))
            .setNumber(number);
    if (value != null) {
      b.setValue(com.google.protobuf.ByteString.copyFrom(value));
    }
    return b.build();
  }

  @Override
  public String toString() {
    // Values stay out of messages and logs: only their size is shown.
    return "Compare["
        + target
        + " of "
        + KeyValue.showKey(key)
        + " "
        + operator
        + " "
        + (value != null ? "(" + value.length + " bytes)" : Long.toString(number))
        + "]";
  }
}
