package io.ternkv.server.apply;

import io.ternkv.server.storage.KvStore;

/**
 * What applying one command produced.
 *
 * @param revision store revision after the command
 * @param deleted number of keys the command deleted
 * @param read for a read through the log, what it read (one entry or none for a get); else null
 * @param txn for a transaction, what it did; else null
 */
public record ApplyResult(long revision, long deleted, KvStore.RangePage read, TxnResult txn) {
  /** The result of a command that changed and read nothing. */
  public static ApplyResult at(long revision) {
    return new ApplyResult(revision, 0, null, null);
  }
}
