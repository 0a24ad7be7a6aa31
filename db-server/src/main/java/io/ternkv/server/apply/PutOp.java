package io.ternkv.server.apply;

import io.ternkv.proto.raft.v1.PutCommand;
import io.ternkv.proto.raft.v1.StoredValue;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.Optional;

/** Applies a put: one new revision; create revision kept while the key lives, version + 1. */
final class PutOp {
  private PutOp() {}

  static ApplyResult apply(KvStore.Writer w, PutCommand put, AppliedState before, long term, long index) {
    byte[] key = put.getKey().toByteArray();
    long revision = before.revision() + 1;
    Optional<StoredValue> prev = w.get(key);
    StoredValue next =
        StoredValue.newBuilder()
            .setValue(put.getValue())
            .setCreateRevision(prev.map(StoredValue::getCreateRevision).orElse(revision))
            .setModRevision(revision)
            .setVersion(prev.map(StoredValue::getVersion).orElse(0L) + 1)
            .build();
    w.put(key, next);
    w.setApplied(new AppliedState(term, index, revision));
    return ApplyResult.at(revision);
  }
}
