package io.ternkv.client.concurrency;

import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.ReadOptions;
import io.ternkv.client.RevisionOutOfRangeException;
import io.ternkv.client.TernClient;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Every key under a prefix as of one revision: the queue of a lock or election.
 *
 * @param kvs the keys, in key order (unmodifiable)
 * @param revision the store revision they reflect
 */
record PrefixSnapshot(List<KeyValue> kvs, long revision) {
  /** Fresh reads after a page's revision was compacted away, before giving up. */
  private static final int RESTARTS = 3;

  PrefixSnapshot {
    kvs = List.copyOf(kvs);
  }

  /** Reads every key in {@code range}: a linearizable first page, later pages at its revision. */
  static CompletableFuture<PrefixSnapshot> read(TernClient client, KeyRange range) {
    return read(client, range, RESTARTS);
  }

  private static CompletableFuture<PrefixSnapshot> read(
      TernClient client, KeyRange range, int restarts) {
    return client
        .rangeAsync(range, 0, ReadConsistency.LINEARIZABLE)
        .thenCompose(
            page -> complete(client, range, page.kvs(), page.more(), page.header().revision()))
        .exceptionallyCompose(
            e ->
                restarts > 0 && Blocking.cause(e) instanceof RevisionOutOfRangeException
                    ? read(client, range, restarts - 1)
                    : CompletableFuture.failedFuture(Blocking.cause(e)));
  }

  /**
   * Completes a first page read elsewhere (inside a transaction) at {@code revision}.
   *
   * @param more whether keys after the page's last one remain
   */
  static CompletableFuture<PrefixSnapshot> complete(
      TernClient client, KeyRange range, List<KeyValue> firstPage, boolean more, long revision) {
    List<KeyValue> all = new ArrayList<>(firstPage);
    if (!more || firstPage.isEmpty()) {
      return CompletableFuture.completedFuture(new PrefixSnapshot(all, revision));
    }
    return nextPages(client, range, all, revision);
  }

  private static CompletableFuture<PrefixSnapshot> nextPages(
      TernClient client, KeyRange range, List<KeyValue> all, long revision) {
    byte[] last = all.get(all.size() - 1).key();
    return client
        .rangeAsync(range.after(last), 0, ReadOptions.atRevision(revision))
        .thenCompose(
            page -> {
              all.addAll(page.kvs());
              return page.more() && !page.kvs().isEmpty()
                  ? nextPages(client, range, all, revision)
                  : CompletableFuture.completedFuture(new PrefixSnapshot(all, revision));
            });
  }

  /** The key created first: the holder or leader. */
  Optional<KeyValue> first() {
    return kvs.stream().min(Comparator.comparingLong(KeyValue::createRevision));
  }

  /** The key created last before {@code createRevision}: the one to wait for. */
  Optional<KeyValue> lastCreatedBefore(long createRevision) {
    return kvs.stream()
        .filter(kv -> kv.createRevision() < createRevision)
        .max(Comparator.comparingLong(KeyValue::createRevision));
  }

  /** The version of {@code key}, if present. */
  Optional<KeyValue> find(byte[] key) {
    return kvs.stream().filter(kv -> Arrays.equals(kv.key(), key)).findFirst();
  }
}
