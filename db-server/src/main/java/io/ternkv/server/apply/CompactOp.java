package io.ternkv.server.apply;

import io.ternkv.proto.raft.v1.CompactCommand;
import io.ternkv.server.RevisionOutOfRangeException;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;

/**
 * Applies a compaction: from this entry on, every node refuses reads and watches below the
 * revision. The revision does not move. The old versions are removed later, in the background,
 * which no read can observe.
 */
final class CompactOp {
  private CompactOp() {}

  static ApplyResult apply(
      KvStore.Writer w, CompactCommand compact, AppliedState before, long term, long index) {
    long revision = compact.getRevision();
    long compacted = w.compacted();
    if (revision <= compacted) {
      return ApplyResult.refused(
          w,
          before,
          term,
          index,
          RevisionOutOfRangeException.compacted(revision, compacted, before.revision()));
    }
    if (revision > before.revision()) {
      return ApplyResult.refused(
          w,
          before,
          term,
          index,
          RevisionOutOfRangeException.future(revision, compacted, before.revision()));
    }
    w.compact(revision);
    w.setApplied(new AppliedState(term, index, before.revision()));
    return ApplyResult.at(before.revision());
  }
}
