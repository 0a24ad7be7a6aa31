package io.ternkv.server.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.CompactCommand;
import io.ternkv.proto.raft.v1.DeleteCommand;
import io.ternkv.proto.raft.v1.DeleteRange;
import io.ternkv.proto.raft.v1.PutCommand;
import io.ternkv.proto.raft.v1.StoredValue;
import io.ternkv.proto.raft.v1.TxnCommand;
import io.ternkv.proto.raft.v1.TxnStep;
import io.ternkv.server.RevisionOutOfRangeException;
import io.ternkv.server.apply.Applier;
import io.ternkv.server.apply.ApplyResult;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** History (MVCC): reads at past revisions, change lists, compaction and snapshots of them. */
class KvStoreHistoryTest {
  @TempDir Path dir;

  /** Keys with zero bytes and shared prefixes, where a careless history encoding misorders. */
  private static final List<byte[]> KEYS =
      List.of(
          new byte[] {'a'},
          new byte[] {'a', 0},
          new byte[] {'a', 0, 0},
          new byte[] {'a', 0, 1},
          new byte[] {'a', 1},
          new byte[] {'a', (byte) 0xFF},
          new byte[] {'b'},
          new byte[] {0},
          new byte[] {(byte) 0xFF, (byte) 0xFF});

  /** What every revision looked like, by the model: revision to (key to value record). */
  private final Map<Long, TreeMap<String, StoredValue>> model = new HashMap<>();

  /** What each revision changed, by the model: revision to (key, deleted). */
  private final Map<Long, List<Object[]>> changes = new HashMap<>();

  private static String hex(byte[] key) {
    StringBuilder b = new StringBuilder();
    for (byte x : key) {
      b.append(String.format("%02x", x));
    }
    return b.toString();
  }

  private static byte[] unhex(String s) {
    byte[] out = new byte[s.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    }
    return out;
  }

  @Test
  void historyKeysSortLikeKeyThenRevision() {
    List<byte[]> encoded = new ArrayList<>();
    for (byte[] k : KEYS) {
      for (long rev : new long[] {1, 2, 255, 256, 1L << 40}) {
        encoded.add(KvStore.historyKey(k, rev));
      }
    }
    List<byte[]> sorted = new ArrayList<>(encoded);
    sorted.sort(Arrays::compareUnsigned);
    List<byte[]> expected = new ArrayList<>();
    List<byte[]> keys = new ArrayList<>(KEYS);
    keys.sort(Arrays::compareUnsigned);
    for (byte[] k : keys) {
      for (long rev : new long[] {1, 2, 255, 256, 1L << 40}) {
        expected.add(KvStore.historyKey(k, rev));
      }
    }
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), sorted.get(i), "position " + i);
      assertArrayEquals(
          keys.get(i / 5), KvStore.keyOf(sorted.get(i)), "key decodes at position " + i);
    }
    assertEquals(1L << 40, KvStore.revisionOf(KvStore.historyKey(KEYS.get(2), 1L << 40)));
  }

  /** Applies random puts, deletes, range deletes and transactions; records the model. */
  private long run(KvStore store, Applier applier, Random random, int commands, long firstIndex) {
    long index = firstIndex;
    TreeMap<String, StoredValue> state =
        new TreeMap<>(model.getOrDefault(store.applied().revision(), new TreeMap<>()));
    for (int i = 0; i < commands; i++, index++) {
      long revision = store.applied().revision() + 1;
      int kind = random.nextInt(10);
      Command command;
      List<Object[]> changed = new ArrayList<>();
      TreeMap<String, StoredValue> next = new TreeMap<>(state);
      if (kind < 5) {
        byte[] key = KEYS.get(random.nextInt(KEYS.size()));
        String value = "v" + revision;
        command = Command.newBuilder().setPut(put(key, value)).build();
        next.put(hex(key), record(state.get(hex(key)), value, revision));
        changed.add(new Object[] {hex(key), false});
      } else if (kind < 7) {
        byte[] key = KEYS.get(random.nextInt(KEYS.size()));
        command =
            Command.newBuilder()
                .setDelete(DeleteCommand.newBuilder().setKey(ByteString.copyFrom(key)))
                .build();
        if (next.remove(hex(key)) != null) {
          changed.add(new Object[] {hex(key), true});
        }
      } else if (kind < 8) {
        // Range delete [a\0, a\1): a\0, a\0\0, a\0\1.
        command =
            Command.newBuilder()
                .setDelete(
                    DeleteCommand.newBuilder()
                        .setRange(
                            DeleteRange.newBuilder()
                                .setStart(ByteString.copyFrom(new byte[] {'a', 0}))
                                .setEnd(ByteString.copyFrom(new byte[] {'a', 1}))
                                .setHasEnd(true)))
                .build();
        for (String k : new ArrayList<>(next.subMap(hex(new byte[] {'a', 0}), hex(new byte[] {'a', 1})).keySet())) {
          next.remove(k);
          changed.add(new Object[] {k, true});
        }
      } else {
        // A transaction putting two keys at one revision.
        byte[] k1 = KEYS.get(random.nextInt(KEYS.size()));
        byte[] k2 = KEYS.get(random.nextInt(KEYS.size()));
        TxnCommand.Builder txn = TxnCommand.newBuilder();
        txn.addSuccess(TxnStep.newBuilder().setPut(put(k1, "t" + revision)));
        next.put(hex(k1), record(state.get(hex(k1)), "t" + revision, revision));
        changed.add(new Object[] {hex(k1), false});
        if (!Arrays.equals(k1, k2)) {
          txn.addSuccess(TxnStep.newBuilder().setPut(put(k2, "u" + revision)));
          next.put(hex(k2), record(state.get(hex(k2)), "u" + revision, revision));
          changed.add(new Object[] {hex(k2), false});
        }
        command = Command.newBuilder().setTxn(txn).build();
      }
      ApplyResult r = applier.apply(command, 1, index);
      if (changed.isEmpty()) {
        assertEquals(revision - 1, r.revision(), "a command that changed nothing keeps the revision");
      } else {
        assertEquals(revision, r.revision());
        state = next;
        model.put(revision, state);
        changes.put(revision, changed);
      }
    }
    return index;
  }

  private static PutCommand put(byte[] key, String value) {
    return PutCommand.newBuilder()
        .setKey(ByteString.copyFrom(key))
        .setValue(ByteString.copyFromUtf8(value))
        .build();
  }

  private static StoredValue record(StoredValue before, String value, long revision) {
    return StoredValue.newBuilder()
        .setValue(ByteString.copyFromUtf8(value))
        .setCreateRevision(before == null ? revision : before.getCreateRevision())
        .setModRevision(revision)
        .setVersion(before == null ? 1 : before.getVersion() + 1)
        .build();
  }

  /** Every key and every range of the model, at every revision from {@code from} on. */
  private void checkReads(KvStore store, long from) {
    KvStore.ReadView view = store.view();
    long current = view.applied().revision();
    for (long rev = from; rev <= current; rev++) {
      TreeMap<String, StoredValue> expected = model.getOrDefault(rev, new TreeMap<>());
      for (byte[] k : KEYS) {
        assertEquals(
            java.util.Optional.ofNullable(expected.get(hex(k))),
            view.get(k, rev),
            "get " + hex(k) + " at " + rev);
      }
      List<String> all = new ArrayList<>();
      for (KvStore.Entry e : view.range(null, null, 100, Long.MAX_VALUE, rev).entries()) {
        all.add(hex(e.key()));
        assertEquals(expected.get(hex(e.key())), e.value());
      }
      assertEquals(new ArrayList<>(expected.keySet()), all, "range at " + rev);
      // A bounded range with a limit: [a\0, b) limited to 2.
      KvStore.RangePage page =
          view.range(new byte[] {'a', 0}, new byte[] {'b'}, 2, Long.MAX_VALUE, rev);
      List<String> inRange =
          new ArrayList<>(expected.subMap(hex(new byte[] {'a', 0}), hex(new byte[] {'b'})).keySet());
      assertEquals(inRange.subList(0, Math.min(2, inRange.size())), page.entries().stream().map(e -> hex(e.key())).toList());
      assertEquals(inRange.size() > 2, page.more(), "more at " + rev);
    }
  }

  /** The change lists from {@code from} on, compared with the model. */
  private void checkChanges(KvStore store, long from) {
    KvStore.ReadView view = store.view();
    List<String> expected = new ArrayList<>();
    for (long rev = from; rev <= view.applied().revision(); rev++) {
      for (Object[] c : changes.getOrDefault(rev, List.of())) {
        expected.add(rev + " " + c[0] + " " + ((Boolean) c[1] ? "delete" : "put"));
      }
    }
    List<String> actual = new ArrayList<>();
    long next = from;
    // Tiny pages: whole revisions per page, resuming exactly where the last one ended.
    while (next <= view.applied().revision()) {
      KvStore.ChangePage page = view.changes(next, k -> true, true, 1);
      assertTrue(page.next() > next, "a page always moves on");
      for (KvStore.Change c : page.changes()) {
        actual.add(c.revision() + " " + hex(c.key()) + " " + (c.isDelete() ? "delete" : "put"));
        StoredValue before = model.getOrDefault(c.revision() - 1, new TreeMap<>()).get(hex(c.key()));
        if (c.revision() - 1 >= store.compacted() || c.previous() != null) {
          assertEquals(before, c.previous(), "previous of " + hex(c.key()) + " at " + c.revision());
        }
        if (!c.isDelete()) {
          assertEquals(model.get(c.revision()).get(hex(c.key())), c.value());
        }
      }
      next = page.next();
    }
    assertEquals(expected, actual);
  }

  @Test
  void readsAtEveryRevisionMatchTheModelBeforeAndAfterCompactionAndSnapshots() throws IOException {
    Random random = new Random(20261125);
    try (KvStore store = KvStore.open(dir.resolve("a.mv.db"))) {
      Applier applier = new Applier(store);
      long index = run(store, applier, random, 300, 1);
      checkReads(store, 1);
      checkChanges(store, 1);

      long current = store.applied().revision();
      long compactTo = current / 2;
      ApplyResult compacted =
          applier.apply(
              Command.newBuilder().setCompact(CompactCommand.newBuilder().setRevision(compactTo)).build(),
              1,
              index++);
      assertEquals(null, compacted.refused());
      assertEquals(current, compacted.revision(), "compaction keeps the revision");
      RevisionOutOfRangeException below =
          assertThrows(RevisionOutOfRangeException.class, () -> store.view().get(KEYS.get(0), compactTo - 1));
      assertEquals(compactTo, below.compactRevision());
      assertThrows(
          RevisionOutOfRangeException.class,
          () -> store.view().range(null, null, 10, 100, compactTo - 1));
      assertThrows(
          RevisionOutOfRangeException.class, () -> store.view().changes(compactTo - 1, k -> true, false, 10));
      RevisionOutOfRangeException future =
          assertThrows(RevisionOutOfRangeException.class, () -> store.view().get(KEYS.get(0), current + 1));
      assertEquals(current, future.currentRevision());
      // Twice, or into the future: refused on every node alike, nothing changes.
      assertTrue(
          applier.apply(
                      Command.newBuilder().setCompact(CompactCommand.newBuilder().setRevision(compactTo)).build(),
                      1,
                      index++)
                  .refused()
              instanceof RevisionOutOfRangeException);
      assertTrue(
          applier.apply(
                      Command.newBuilder().setCompact(CompactCommand.newBuilder().setRevision(current + 1)).build(),
                      1,
                      index++)
                  .refused()
              instanceof RevisionOutOfRangeException);

      KvStore.ReadView beforeRemoval = store.view();
      int batches = 0;
      while (store.compactSome(7)) {
        batches++;
      }
      assertTrue(batches > 1, "removal went in bounded batches");
      assertFalse(store.compactSome(7), "nothing left to remove");
      checkReads(store, compactTo);
      checkChanges(store, compactTo);
      // A reader that took its view before the removal still reads what it could.
      for (byte[] k : KEYS) {
        assertEquals(
            java.util.Optional.ofNullable(model.getOrDefault(compactTo, new TreeMap<>()).get(hex(k))),
            beforeRemoval.get(k, compactTo));
      }

      // More history after the compaction, then a snapshot to a fresh store.
      index = run(store, applier, random, 100, index);
      checkReads(store, compactTo);
      ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
      store.writeSnapshot(snapshot);
      try (KvStore copy = KvStore.open(dir.resolve("b.mv.db"))) {
        copy.restoreSnapshot(new ByteArrayInputStream(snapshot.toByteArray()));
        assertEquals(compactTo, copy.compacted());
        checkReads(copy, compactTo);
        checkChanges(copy, compactTo);
        assertThrows(RevisionOutOfRangeException.class, () -> copy.view().get(KEYS.get(0), compactTo - 1));
      }
    }
    // History survives reopening.
    try (KvStore reopened = KvStore.open(dir.resolve("a.mv.db"))) {
      checkReads(reopened, reopened.compacted());
    }
  }

  @Test
  void compactionRemovesOldVersionsButKeepsWhatTheCompactedRevisionShows() throws IOException {
    try (KvStore store = KvStore.open(dir.resolve("c.mv.db"))) {
      Applier applier = new Applier(store);
      long index = 1;
      for (int i = 0; i < 50; i++) {
        applier.apply(KvStoreTest.put("hot", "v" + i), 1, index++);
      }
      applier.apply(KvStoreTest.put("gone", "x"), 1, index++); // revision 51
      applier.apply(KvStoreTest.delete("gone"), 1, index++); // revision 52
      applier.apply(KvStoreTest.put("cold", "c"), 1, index++); // revision 53
      applier.apply(
          Command.newBuilder().setCompact(CompactCommand.newBuilder().setRevision(53)).build(), 1, index++);
      while (store.compactSome(1000)) {}
      // The whole history left: one version each of hot and cold, no trace of "gone".
      List<String> left = new ArrayList<>();
      KvStore.ReadView view = store.view();
      for (byte[] k : List.of(b("hot"), b("cold"), b("gone"))) {
        view.get(k, 53).ifPresent(v -> left.add(new String(k, StandardCharsets.UTF_8) + "@" + v.getModRevision()));
      }
      assertEquals(List.of("hot@50", "cold@53"), left);
      assertEquals(
          List.of("53 cold"),
          view.changes(53, k -> true, false, 1 << 20).changes().stream()
              .map(c -> c.revision() + " " + new String(c.key(), StandardCharsets.UTF_8))
              .toList(),
          "the compacted revision's own changes stay for watches starting there");
      assertEquals(2, store.historySize(), "superseded versions and the deleted key are gone");
    }
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
