package io.ternkv.server.apply;

import io.ternkv.proto.raft.v1.PutCommand;
import io.ternkv.proto.raft.v1.StoredValue;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.List;
import java.util.Optional;

/** Applies a put: one new revision; create revision kept while the key lives, version + 1. */
final class PutOp {
  private PutOp() {}

  static ApplyResult apply(KvStore.Writer w, PutCommand put, AppliedState before, long term, long index) {
    if (put.getLease() != 0 && w.lease(put.getLease()).isEmpty()) {
      return ApplyResult.refused(w, before, term, index, ApplyResult.noLease(put.getLease()));
    }
    long revision = before.revision() + 1;
    Optional<StoredValue> prev = write(w, put, revision);
    w.setApplied(new AppliedState(term, index, revision));
    List<KvStore.Entry> previous =
        prev.map(v -> List.of(new KvStore.Entry(put.getKey().toByteArray(), v))).orElse(List.of());
    return new ApplyResult(revision, 0, null, null, null, previous);
  }

  /**
   * Stores the put's value as of {@code revision} (shared with transactions).
   *
   * @return the version it replaced, if the key existed
   */
  static Optional<StoredValue> write(KvStore.Writer w, PutCommand put, long revision) {
    byte[] key = put.getKey().toByteArray();
    Optional<StoredValue> prev = w.get(key);
    StoredValue next =
        StoredValue.newBuilder()
            .setValue(put.getValue())
            .setCreateRevision(prev.map(StoredValue::getCreateRevision).orElse(revision))
            .setModRevision(revision)
            .setVersion(prev.map(StoredValue::getVersion).orElse(0L) + 1)
            .setLease(put.getLease())
            .build();
    w.put(key, next);
    return prev;
  }
}
