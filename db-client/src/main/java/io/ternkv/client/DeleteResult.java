package io.ternkv.client;

import java.util.List;

/**
 * An acknowledged delete.
 *
 * @param deleted how many keys it deleted (0 when none existed)
 * @param header the answering node and the state after the delete
 * @param previous the deleted versions in key order, when asked for; else empty
 */
public record DeleteResult(long deleted, ResponseHeader header, List<KeyValue> previous) {
  /** Copies the list. */
  public DeleteResult {
    previous = List.copyOf(previous);
  }

  /** A result without previous versions. */
  public DeleteResult(long deleted, ResponseHeader header) {
    this(deleted, header, List.of());
  }
}
