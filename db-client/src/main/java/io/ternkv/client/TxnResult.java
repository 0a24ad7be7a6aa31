package io.ternkv.client;

import java.util.List;
import java.util.Optional;

/**
 * What a transaction did.
 *
 * @param succeeded whether every compare held, so the {@code then} operations ran; false when the
 *     {@code orElse} operations ran (a failed compare is not an error)
 * @param results one result per operation of the branch that ran, in order (unmodifiable)
 * @param header the answering node; the revision is the transaction's, unchanged when it wrote
 *     nothing
 */
public record TxnResult(boolean succeeded, List<OpResult> results, ResponseHeader header) {
  /** Copies the list so the record is immutable. */
  public TxnResult {
    results = List.copyOf(results);
  }

  /**
   * The result of one operation.
   *
   * @param deleted for a delete, how many keys it removed; else 0
   * @param kvs for a get or range, the keys read in order; else empty
   * @param more for a range, whether further keys remain in it
   */
  public record OpResult(long deleted, List<KeyValue> kvs, boolean more) {
    /** Copies the list so the record is immutable. */
    public OpResult {
      kvs = List.copyOf(kvs);
    }

    /** For a get: the key read, or empty when it did not exist. */
    public Optional<KeyValue> kv() {
      return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0));
    }
  }
}
