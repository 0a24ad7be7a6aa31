package io.ternkv.server.apply;

import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;

/**
 * What applying one command produced.
 *
 * @param revision store revision after the command
 * @param deleted number of keys the command deleted
 * @param read for a read through the log, what it read (one entry or none for a get); else null
 * @param txn for a transaction, what it did; else null
 * @param refused why the command changed nothing although it was valid (a lease it names does not
 *     exist); null when it was applied. The same on every node, since it depends only on state.
 */
public record ApplyResult(
    long revision, long deleted, KvStore.RangePage read, TxnResult txn, String refused) {
  /** The result of a command that changed and read nothing. */
  public static ApplyResult at(long revision) {
    return new ApplyResult(revision, 0, null, null, null);
  }

  /** A command refused by the state it met; only the applied position moves. */
  static ApplyResult refused(
      KvStore.Writer w, AppliedState before, long term, long index, String why) {
    w.setApplied(new AppliedState(term, index, before.revision()));
    return new ApplyResult(before.revision(), 0, null, null, why);
  }

  /** The message for a lease that does not exist. */
  static String noLease(long id) {
    return "lease " + id + " not found (expired or revoked)";
  }
}
