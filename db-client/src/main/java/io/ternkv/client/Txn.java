package io.ternkv.client;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A transaction: if every {@link Compare} holds, the {@code then} operations run, else the
 * {@code orElse} operations; atomically, in one Raft log entry, with all writes at one new
 * revision. Readers at any level see all of it or none of it.
 *
 * <pre>{@code
 * Txn txn = Txn.builder()
 *     .when(Compare.modRevision(key, Compare.Operator.EQUAL, seen.modRevision()))
 *     .then(TxnOp.put(key, next))
 *     .orElse(TxnOp.get(key))
 *     .build();
 * TxnResult r = client.txn(txn);
 * }</pre>
 *
 * <p>Limits (checked by the server, INVALID_ARGUMENT): at most 1,024 compares and operations
 * together, and about 3.5 MiB in all.
 *
 * <p>Immutable and thread-safe; the builder is not thread-safe.
 */
public final class Txn {
  private final List<Compare> compares;
  private final List<TxnOp> then;
  private final List<TxnOp> orElse;

  private Txn(Builder b) {
    this.compares = List.copyOf(b.compares);
    this.then = List.copyOf(b.then);
    this.orElse = List.copyOf(b.orElse);
  }

  /** An empty transaction builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The conditions, all of which must hold for {@link #then()} to run (unmodifiable). */
  public List<Compare> compares() {
    return compares;
  }

  /** What runs when every compare holds (unmodifiable). */
  public List<TxnOp> then() {
    return then;
  }

  /** What runs otherwise (unmodifiable). */
  public List<TxnOp> orElse() {
    return orElse;
  }

  io.ternkv.proto.v1.TxnRequest.Builder toWire() {
    io.ternkv.proto.v1.TxnRequest.Builder b = io.ternkv.proto.v1.TxnRequest.newBuilder();
    compares.forEach(c -> b.addCompare(c.toWire()));
    then.forEach(op -> b.addSuccess(op.toWire()));
    orElse.forEach(op -> b.addFailure(op.toWire()));
    return b;
  }

  @Override
  public String toString() {
    return "Txn[when " + compares + " then " + then + " else " + orElse + "]";
  }

  /** Collects a transaction's parts; not thread-safe. */
  public static final class Builder {
    private final List<Compare> compares = new ArrayList<>();
    private final List<TxnOp> then = new ArrayList<>();
    private final List<TxnOp> orElse = new ArrayList<>();

    private Builder() {}

    /** Adds conditions; all must hold. No condition means the {@code then} branch runs. */
    public Builder when(Compare... compares) {
      Arrays.stream(compares).map(c -> Objects.requireNonNull(c, "compare")).forEach(this.compares::add);
      return this;
    }

    /** Adds operations to run when every condition holds. */
    public Builder then(TxnOp... ops) {
      Arrays.stream(ops).map(o -> Objects.requireNonNull(o, "op")).forEach(then::add);
      return this;
    }

    /** Adds operations to run when every condition holds. */
    public Builder then(List<TxnOp> ops) {
      ops.forEach(o -> then.add(Objects.requireNonNull(o, "op")));
      return this;
    }

    /** Adds operations to run when some condition does not hold. */
    public Builder orElse(TxnOp... ops) {
      Arrays.stream(ops).map(o -> Objects.requireNonNull(o, "op")).forEach(orElse::add);
      return this;
    }

    /** The transaction. */
    public Txn build() {
      return new Txn(this);
    }
  }
}
