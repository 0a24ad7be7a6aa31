package io.ternkv.server.apply;

import io.ternkv.proto.raft.v1.LeaseGrantCommand;
import io.ternkv.proto.raft.v1.LeaseRevokeCommand;
import io.ternkv.proto.raft.v1.StoredLease;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.List;

/**
 * Applies lease grants and revocations. A lease's id is the log index of its grant: unique and
 * the same on every node. When and whether a lease expires is the leader's decision, replicated
 * as a revocation; applying never reads a clock.
 */
final class LeaseOp {
  private LeaseOp() {}

  static ApplyResult grant(
      KvStore.Writer w, LeaseGrantCommand grant, AppliedState before, long term, long index) {
    w.putLease(index, StoredLease.newBuilder().setTtlMs(grant.getTtlMs()).build());
    w.setApplied(new AppliedState(term, index, before.revision()));
    return ApplyResult.at(before.revision());
  }

  /** Deletes every key of the lease at one new revision (none if it held no keys), then the lease. */
  static ApplyResult revoke(
      KvStore.Writer w, LeaseRevokeCommand revoke, AppliedState before, long term, long index) {
    long id = revoke.getId();
    if (w.lease(id).isEmpty()) {
      // An expiry decided twice (say by two leaders in turn) finds it gone: nothing to do.
      return ApplyResult.refused(w, before, term, index, ApplyResult.noLease(id));
    }
    List<byte[]> keys = w.leaseKeys(id);
    long revision = keys.isEmpty() ? before.revision() : before.revision() + 1;
    for (byte[] key : keys) {
      w.remove(key, revision);
    }
    w.removeLease(id);
    w.setApplied(new AppliedState(term, index, revision));
    return new ApplyResult(revision, keys.size(), null, null, null, List.of());
  }
}
