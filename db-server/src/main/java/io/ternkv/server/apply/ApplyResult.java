package io.ternkv.server.apply;

import io.ternkv.server.FailedPreconditionException;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.List;

/**
 * What applying one command produced.
 *
 * @param revision store revision after the command
 * @param deleted number of keys the command deleted
 * @param read for a read through the log, what it read (one entry or none for a get); else null
 * @param txn for a transaction, what it did; else null
 * @param refused the error to answer when the command changed nothing although it was valid (a
 *     lease it names does not exist, a compaction to a revision already compacted); null when it
 *     was applied. The same on every node, since it depends only on state.
 * @param previous for a put or delete, the versions it replaced or removed (a range delete only
 *     when the command asked for them); else empty
 */
public record ApplyResult(
    long revision,
    long deleted,
    KvStore.RangePage read,
    TxnResult txn,
    RuntimeException refused,
    List<KvStore.Entry> previous) {
  /** The result of a command that changed and read nothing. */
  public static ApplyResult at(long revision) {
    return new ApplyResult(revision, 0, null, null, null, List.of());
  }

  /** A command refused by the state it met; only the applied position moves. */
  static ApplyResult refused(
      KvStore.Writer w, AppliedState before, long term, long index, RuntimeException why) {
    w.setApplied(new AppliedState(term, index, before.revision()));
    return new ApplyResult(before.revision(), 0, null, null, why, List.of());
  }

  /** The error for a lease that does not exist. */
  static FailedPreconditionException noLease(long id) {
    return new FailedPreconditionException("lease " + id + " not found (expired or revoked)");
  }
}
