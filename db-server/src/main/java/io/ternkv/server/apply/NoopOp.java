package io.ternkv.server.apply;

import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;

/** Applies a no-op: only the applied position moves (a leader appends these to renew its lease). */
final class NoopOp {
  private NoopOp() {}

  static ApplyResult apply(KvStore.Writer w, AppliedState before, long term, long index) {
    w.setApplied(new AppliedState(term, index, before.revision()));
    return ApplyResult.at(before.revision());
  }
}
