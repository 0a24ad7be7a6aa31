package io.ternkv.server.apply;

import io.ternkv.proto.raft.v1.RangeRead;
import io.ternkv.proto.raft.v1.ReadCommand;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.List;

/**
 * Applies a read that went through the log (READ_LOG): it sees exactly the writes before it in
 * the log, on every node alike, and changes nothing but the applied position.
 */
final class ReadOp {
  private ReadOp() {}

  static ApplyResult apply(
      KvStore.Writer w, ReadCommand read, AppliedState before, long term, long index) {
    KvStore.RangePage page =
        switch (read.getReadCase()) {
          case GET_KEY -> {
            byte[] key = read.getGetKey().toByteArray();
            yield new KvStore.RangePage(
                w.get(key).map(v -> List.of(new KvStore.Entry(key, v))).orElse(List.of()), false);
          }
          case RANGE -> {
            RangeRead r = read.getRange();
            yield w.range(
                r.getStart().isEmpty() ? null : r.getStart().toByteArray(),
                r.getHasEnd() ? r.getEnd().toByteArray() : null,
                r.getLimit(),
                RequestLimits.MAX_RANGE_BYTES);
          }
          case READ_NOT_SET -> throw new IllegalStateException(
              "log entry " + index + " holds a read without a key or range");
        };
    w.setApplied(new AppliedState(term, index, before.revision()));
    return new ApplyResult(before.revision(), 0, page, null, null, List.of());
  }
}
