package io.ternkv.server.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ternkv.proto.raft.v1.StoredValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a crash leaves in the store file: only whole mutations, each with the applied index that
 * covers it, however commits and mutations interleave.
 */
class KvStoreCommitTest {
  @TempDir Path dir;

  private static byte[] key(long i) {
    return String.format("key-%08d", i).getBytes(StandardCharsets.UTF_8);
  }

  private static StoredValue value(long revision, ByteString bytes) {
    return StoredValue.newBuilder()
        .setValue(bytes)
        .setCreateRevision(revision)
        .setModRevision(revision)
        .setVersion(1)
        .build();
  }

  /**
   * One mutation that leaves about 50 MiB of unsaved pages, then a crash. MVStore commits by itself
   * from inside a map write once unsaved pages pass its buffer (about 19 MiB by default); the store
   * must turn that off, or the file keeps the first part of the mutation under the applied index
   * of the mutation before it.
   */
  @Test
  void aMutationLargerThanMvStoresCommitBufferIsNeverPartlyPersisted() throws Exception {
    Path file = dir.resolve("store.mv.db");
    ByteString big = ByteString.copyFrom(new byte[64 * 1024]);
    try (KvStore store = KvStore.open(file)) {
      store.write(
          w -> {
            w.put(key(0), value(1, ByteString.copyFromUtf8("first")));
            w.setApplied(new AppliedState(1, 1, 1));
            return null;
          });
      store.commit();
      store.write(
          w -> {
            for (int i = 1; i <= 400; i++) {
              w.put(key(i), value(2, big));
            }
            w.setApplied(new AppliedState(1, 2, 2));
            return null;
          });
      store.closeWithoutCommit();
    }
    try (KvStore reopened = KvStore.open(file)) {
      assertEquals(new AppliedState(1, 1, 1), reopened.applied());
      assertEquals(1, reopened.size(), "keys of the uncommitted mutation reached the file");
    }
  }

  /**
   * A commit that finds MVStore's internal store lock taken (a pinned view being released takes it
   * briefly) must wait for it, not return without writing: callers report the committed applied
   * index as durable. Reaches into MVStore to hold that lock, since the race is otherwise rare.
   */
  @Test
  void aCommitThatFindsMvStoresLockBusyWaitsAndWrites() throws Exception {
    Path file = dir.resolve("busy.mv.db");
    try (KvStore store = KvStore.open(file)) {
      store.write(
          w -> {
            w.put(key(1), value(1, ByteString.copyFromUtf8("one")));
            w.setApplied(new AppliedState(1, 1, 1));
            return null;
          });
      java.lang.reflect.Field storeField = KvStore.class.getDeclaredField("store");
      storeField.setAccessible(true);
      Object mvStore = storeField.get(store);
      java.lang.reflect.Field lockField = mvStore.getClass().getDeclaredField("storeLock");
      lockField.setAccessible(true);
      java.util.concurrent.locks.ReentrantLock storeLock =
          (java.util.concurrent.locks.ReentrantLock) lockField.get(mvStore);
      java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      Thread holder =
          new Thread(
              () -> {
                storeLock.lock();
                try {
                  held.countDown();
                  release.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  storeLock.unlock();
                }
              });
      holder.start();
      held.await();
      Thread committer = new Thread(store::commit);
      committer.start();
      Thread.sleep(200);
      release.countDown();
      committer.join(10_000);
      holder.join(10_000);
      store.closeWithoutCommit();
    }
    try (KvStore reopened = KvStore.open(file)) {
      assertEquals(new AppliedState(1, 1, 1), reopened.applied());
      assertEquals(1, reopened.size());
    }
  }

  /**
   * A writer applies mutations (mutation i puts key i at revision i and records index i) while
   * another thread commits as fast as it can; then the store is closed as by a crash. The file
   * must hold exactly keys 1..N for its applied index N: a commit that cut through a mutation
   * would leave a key without its index or an index without its key.
   */
  @Test
  void commitsRacingMutationsPersistOnlyWholeMutations() throws Exception {
    for (int attempt = 0; attempt < 5; attempt++) {
      Path file = dir.resolve("race-" + attempt + ".mv.db");
      ByteString bytes = ByteString.copyFrom(new byte[200]);
      long written;
      try (KvStore store = KvStore.open(file)) {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread committer =
            new Thread(
                () -> {
                  try {
                    while (!stop.get()) {
                      store.commit();
                    }
                  } catch (Throwable t) {
                    failed.set(t);
                  }
                });
        committer.start();
        long i = 0;
        long until = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < until) {
          long n = ++i;
          store.write(
              w -> {
                // Two maps and the applied index change in one mutation.
                w.put(key(n), value(n, bytes));
                w.put(key(n - 1 + 1_000_000_000L), value(n, bytes));
                w.setApplied(new AppliedState(1, n, n));
                return null;
              });
        }
        stop.set(true);
        committer.join();
        assertEquals(null, failed.get());
        written = i;
        store.closeWithoutCommit();
      }
      try (KvStore reopened = KvStore.open(file)) {
        long n = reopened.applied().index();
        assertTrue(n >= 1 && n <= written, "applied index " + n + " of " + written);
        assertEquals(n, reopened.applied().revision());
        assertEquals(2 * n, reopened.size(), "keys beside applied index " + n);
        KvStore.ReadView view = reopened.view();
        for (long k : new long[] {1, n}) {
          assertTrue(view.get(key(k)).isPresent(), "key " + k + " of applied index " + n);
        }
        Optional<StoredValue> beyond = view.get(key(n + 1));
        assertTrue(beyond.isEmpty(), "key " + (n + 1) + " beyond applied index " + n);
      }
    }
  }
}
