/**
 * Keeping history bounded: the leader's automatic compaction. The history itself lives in {@link
 * io.ternkv.server.storage.KvStore}; compaction is applied by {@code io.ternkv.server.apply}.
 */
package io.ternkv.server.history;
