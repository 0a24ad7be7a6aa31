package io.ternkv.client;

import java.util.Objects;
import java.util.Optional;

/**
 * An acknowledged put.
 *
 * @param header the answering node and the state after the write
 * @param previous the version the put replaced, when asked for ({@link PutOptions#withPrevious})
 *     and the key existed; else empty
 */
public record WriteResult(ResponseHeader header, Optional<KeyValue> previous) {
  /** Validates the fields. */
  public WriteResult {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(previous, "previous");
  }

  /** A result without a previous version. */
  public WriteResult(ResponseHeader header) {
    this(header, Optional.empty());
  }

  /** The store revision the write created. */
  public long revision() {
    return header.revision();
  }

  /** The write's Raft log index. */
  public long raftIndex() {
    return header.raftIndex();
  }
}
