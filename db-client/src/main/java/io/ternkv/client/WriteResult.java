package io.ternkv.client;

/**
 * An acknowledged put.
 *
 * @param header the answering node and the state after the write
 */
public record WriteResult(ResponseHeader header) {
  /** The store revision the write created. */
  public long revision() {
    return header.revision();
  }

  /** The write's Raft log index. */
  public long raftIndex() {
    return header.raftIndex();
  }
}
