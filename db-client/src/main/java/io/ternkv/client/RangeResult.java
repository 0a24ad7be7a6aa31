package io.ternkv.client;

import java.util.List;

/**
 * One page of a range read.
 *
 * @param kvs the keys in order (unmodifiable)
 * @param more whether keys after the last one remain in the range
 * @param header the answering node and the state the page reflects
 */
public record RangeResult(List<KeyValue> kvs, boolean more, ResponseHeader header) {
  /** Copies the list so the record is immutable. */
  public RangeResult {
    kvs = List.copyOf(kvs);
  }
}
