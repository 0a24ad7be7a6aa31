package io.ternkv.server.storage;

/**
 * The point in the log the store reflects: the last applied Raft entry and the store revision
 * after it. Immutable.
 *
 * @param term term of the last applied entry, or 0 when nothing was applied
 * @param index index of the last applied entry, or -1 when nothing was applied
 * @param revision store revision after that entry (0 for an empty store)
 */
public record AppliedState(long term, long index, long revision) {
  /** The state of a store nothing was ever applied to. */
  public static final AppliedState EMPTY = new AppliedState(0, -1, 0);
}
