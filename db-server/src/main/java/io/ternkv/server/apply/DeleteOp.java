package io.ternkv.server.apply;

import io.ternkv.proto.raft.v1.DeleteCommand;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;

/** Applies a delete: a new revision only when the key existed, as in etcd. */
final class DeleteOp {
  private DeleteOp() {}

  static ApplyResult apply(
      KvStore.Writer w, DeleteCommand delete, AppliedState before, long term, long index) {
    boolean existed = w.remove(delete.getKey().toByteArray());
    long revision = existed ? before.revision() + 1 : before.revision();
    w.setApplied(new AppliedState(term, index, revision));
    return new ApplyResult(revision, existed ? 1 : 0, null, null, null);
  }
}
