package io.ternkv.server.apply;

import io.ternkv.proto.raft.v1.DeleteCommand;
import io.ternkv.proto.raft.v1.DeleteRange;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.List;

/**
 * Applies a delete of one key or a range: one new revision for all keys it deletes, none when it
 * deletes nothing, as in etcd.
 */
final class DeleteOp {
  private DeleteOp() {}

  static ApplyResult apply(
      KvStore.Writer w, DeleteCommand delete, AppliedState before, long term, long index) {
    long revision = before.revision() + 1;
    List<KvStore.Entry> removed;
    if (delete.hasRange()) {
      removed = delete(w, delete.getRange(), revision);
    } else {
      byte[] key = delete.getKey().toByteArray();
      removed =
          w.remove(key, revision).map(v -> List.of(new KvStore.Entry(key, v))).orElse(List.of());
    }
    long after = removed.isEmpty() ? before.revision() : revision;
    w.setApplied(new AppliedState(term, index, after));
    // A single key's previous version costs nothing to keep; a range's only when asked for.
    List<KvStore.Entry> previous =
        delete.hasRange() && !delete.getPrevKv() ? List.of() : removed;
    return new ApplyResult(after, removed.size(), null, null, null, previous);
  }

  /** Deletes a range (or the single key {@code start}) at {@code revision}; shared with txns. */
  static List<KvStore.Entry> delete(KvStore.Writer w, DeleteRange d, long revision) {
    byte[] start = d.getStart().toByteArray();
    if (d.getOpenEnd()) {
      return w.removeRange(start, null, revision);
    }
    if (d.getHasEnd()) {
      return w.removeRange(start, d.getEnd().toByteArray(), revision);
    }
    return w.remove(start, revision).map(v -> List.of(new KvStore.Entry(start, v))).orElse(List.of());
  }
}
