package io.ternkv.server.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.DeleteCommand;
import io.ternkv.proto.raft.v1.PutCommand;
import io.ternkv.server.apply.Applier;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvStoreTest {
  @TempDir Path dir;

  static Command put(String key, String value) {
    return Command.newBuilder()
        .setPut(PutCommand.newBuilder().setKey(utf8(key)).setValue(utf8(value)))
        .build();
  }

  static Command delete(String key) {
    return Command.newBuilder().setDelete(DeleteCommand.newBuilder().setKey(utf8(key))).build();
  }

  static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Command grant(long ttlMs) {
    return Command.newBuilder()
        .setLeaseGrant(io.ternkv.proto.raft.v1.LeaseGrantCommand.newBuilder().setTtlMs(ttlMs))
        .build();
  }

  static Command putWithLease(String key, String value, long lease) {
    return Command.newBuilder()
        .setPut(PutCommand.newBuilder().setKey(utf8(key)).setValue(utf8(value)).setLease(lease))
        .build();
  }

  static Command revoke(long id) {
    return Command.newBuilder()
        .setLeaseRevoke(io.ternkv.proto.raft.v1.LeaseRevokeCommand.newBuilder().setId(id))
        .build();
  }

  static List<String> leaseKeys(KvStore store, long id) {
    return store.leaseKeys(id).stream().map(k -> new String(k, StandardCharsets.UTF_8)).toList();
  }

  @Test
  void leasesHoldTheirKeysAndRevocationDeletesThemAtOneRevision() throws IOException {
    try (KvStore store = KvStore.open(dir.resolve("kv.mv.db"))) {
      Applier applier = new Applier(store);
      applier.apply(grant(5000), 1, 1); // lease 1: the grant's index
      applier.apply(grant(5000), 1, 2); // lease 2
      assertEquals(List.of(1L, 2L), store.leaseIds());
      applier.apply(putWithLease("a", "1", 1), 1, 3);
      applier.apply(putWithLease("b", "1", 1), 1, 4);
      applier.apply(putWithLease("c", "1", 2), 1, 5);
      applier.apply(put("d", "1"), 1, 6);
      assertEquals(List.of("a", "b"), leaseKeys(store, 1));
      // Moving a key to another lease, or to none, or deleting it, updates the index.
      applier.apply(putWithLease("b", "2", 2), 1, 7);
      applier.apply(put("c", "2"), 1, 8);
      assertEquals(List.of("a"), leaseKeys(store, 1));
      assertEquals(List.of("b"), leaseKeys(store, 2));
      assertEquals(
          "lease 9 not found (expired or revoked)",
          applier.apply(putWithLease("e", "1", 9), 1, 9).refused().getMessage());
      assertTrue(store.get(b("e")).isEmpty());

      long before = store.applied().revision();
      applier.apply(putWithLease("a2", "1", 1), 1, 10);
      var r = applier.apply(revoke(1), 1, 11);
      assertEquals(2, r.deleted());
      assertEquals(before + 2, r.revision(), "one revision for the put, one for the revocation");
      assertTrue(store.get(b("a")).isEmpty());
      assertTrue(store.get(b("a2")).isEmpty());
      assertEquals(List.of(2L), store.leaseIds());
      assertEquals(List.of(), leaseKeys(store, 1));
      assertTrue(applier.apply(revoke(1), 1, 12).refused() != null, "revoking twice");
    }
  }

  @Test
  void aMutationThatFailsHalfWayIsNeitherSeenNorCommitted() throws IOException {
    Path file = dir.resolve("kv.mv.db");
    try (KvStore store = KvStore.open(file)) {
      new Applier(store).apply(put("kept", "1"), 1, 1);
      store.commit();
      assertThrows(
          IllegalStateException.class,
          () ->
              store.write(
                  w -> {
                    w.put(
                        b("half"),
                        io.ternkv.proto.raft.v1.StoredValue.newBuilder()
                            .setValue(utf8("x"))
                            .setModRevision(2)
                            .setVersion(1)
                            .build());
                    throw new IllegalStateException("apply failed");
                  }));
      assertTrue(store.get(b("half")).isEmpty(), "readers never see the half mutation");
      assertThrows(IllegalStateException.class, () -> new Applier(store).apply(put("next", "1"), 1, 2));
      store.commit();
    }
    try (KvStore reopened = KvStore.open(file)) {
      assertTrue(reopened.get(b("half")).isEmpty(), "nothing of it was committed");
      assertTrue(reopened.get(b("kept")).isPresent());
      assertEquals(1, reopened.applied().index());
    }
  }

  @Test
  void snapshotCarriesLeasesAndRebuildsTheirKeys() throws IOException {
    java.io.ByteArrayOutputStream snap = new java.io.ByteArrayOutputStream();
    try (KvStore store = KvStore.open(dir.resolve("a.mv.db"))) {
      Applier applier = new Applier(store);
      applier.apply(grant(7000), 1, 1);
      applier.apply(putWithLease("x", "1", 1), 1, 2);
      applier.apply(put("y", "1"), 1, 3);
      store.writeSnapshot(snap);
    }
    try (KvStore copy = KvStore.open(dir.resolve("b.mv.db"))) {
      copy.restoreSnapshot(new java.io.ByteArrayInputStream(snap.toByteArray()));
      assertEquals(List.of(1L), copy.leaseIds());
      assertEquals(7000, copy.lease(1).orElseThrow().getTtlMs());
      assertEquals(List.of("x"), leaseKeys(copy, 1));
      assertEquals(1, copy.get(b("x")).orElseThrow().getLease());
    }
  }

  @Test
  void putsAndDeletesKeepRevisionsAndVersions() throws IOException {
    try (KvStore store = KvStore.open(dir.resolve("kv.mv.db"))) {
      Applier applier = new Applier(store);
      assertEquals(1, applier.apply(put("a", "1"), 1, 1).revision());
      assertEquals(2, applier.apply(put("a", "2"), 1, 2).revision());
      assertEquals(3, applier.apply(put("b", "x"), 1, 3).revision());
      var a = store.get(b("a")).orElseThrow();
      assertEquals(1, a.getCreateRevision());
      assertEquals(2, a.getModRevision());
      assertEquals(2, a.getVersion());

      // Deleting a missing key changes nothing, as in etcd.
      assertEquals(0, applier.apply(delete("missing"), 1, 4).deleted());
      assertEquals(3, store.applied().revision());
      assertEquals(1, applier.apply(delete("a"), 1, 5).deleted());
      assertEquals(4, store.applied().revision());
      assertEquals(5, store.applied().index());
      assertTrue(store.get(b("a")).isEmpty());

      // A re-created key starts a new life: new create revision, version 1.
      applier.apply(put("a", "3"), 2, 6);
      var again = store.get(b("a")).orElseThrow();
      assertEquals(5, again.getCreateRevision());
      assertEquals(1, again.getVersion());
    }
  }

  @Test
  void rangeUsesUnsignedByteOrderAndPages() throws IOException {
    try (KvStore store = KvStore.open(dir.resolve("kv.mv.db"))) {
      Applier applier = new Applier(store);
      byte[][] keys = {{0x01}, {0x7f}, {(byte) 0x80}, {(byte) 0xff}, {(byte) 0xff, 0x00}};
      long index = 0;
      for (byte[] k : keys) {
        applier.apply(
            Command.newBuilder()
                .setPut(PutCommand.newBuilder().setKey(ByteString.copyFrom(k)).setValue(utf8("v")))
                .build(),
            1,
            ++index);
      }
      KvStore.RangePage all = store.range(null, null, 100, Long.MAX_VALUE);
      assertEquals(5, all.entries().size());
      for (int i = 0; i < keys.length; i++) {
        assertArrayEquals(keys[i], all.entries().get(i).key());
      }
      assertFalse(all.more());

      KvStore.RangePage page = store.range(new byte[] {0x7f}, new byte[] {(byte) 0xff}, 1, Long.MAX_VALUE);
      assertEquals(1, page.entries().size());
      assertTrue(page.more());
      KvStore.RangePage bounded = store.range(new byte[] {0x7f}, new byte[] {(byte) 0xff}, 10, Long.MAX_VALUE);
      assertEquals(2, bounded.entries().size(), "end is exclusive");
      assertFalse(bounded.more());

      KvStore.RangePage byBytes = store.range(null, null, 100, 1);
      assertEquals(1, byBytes.entries().size(), "a byte budget still returns one key");
      assertTrue(byBytes.more());
    }
  }

  @Test
  void snapshotRoundTripRestoresDataAndPosition() throws IOException {
    ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
    AppliedState written;
    try (KvStore source = KvStore.open(dir.resolve("source.mv.db"))) {
      Applier applier = new Applier(source);
      for (int i = 0; i < 1000; i++) {
        applier.apply(put("key/" + i, "value " + i), 3, i + 1);
      }
      applier.apply(delete("key/7"), 3, 1001);
      written = source.writeSnapshot(snapshot);
      assertEquals(new AppliedState(3, 1001, 1001), written);
    }
    try (KvStore target = KvStore.open(dir.resolve("target.mv.db"))) {
      new Applier(target).apply(put("stale", "gone after restore"), 1, 1);
      AppliedState restored = target.restoreSnapshot(new ByteArrayInputStream(snapshot.toByteArray()));
      assertEquals(written, restored);
      assertEquals(written, target.applied());
      assertEquals(999, target.size());
      assertTrue(target.get(b("stale")).isEmpty());
      assertTrue(target.get(b("key/7")).isEmpty());
      assertEquals("value 42", target.get(b("key/42")).orElseThrow().getValue().toStringUtf8());
    }
    // The restore was committed: it survives reopening.
    try (KvStore reopened = KvStore.open(dir.resolve("target.mv.db"))) {
      assertEquals(written, reopened.applied());
      assertEquals(999, reopened.size());
    }
  }

  @Test
  void corruptSnapshotIsRejectedAndLeavesStoreUnchanged() throws IOException {
    ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
    try (KvStore source = KvStore.open(dir.resolve("source.mv.db"))) {
      Applier applier = new Applier(source);
      for (int i = 0; i < 50; i++) {
        applier.apply(put("k" + i, "v" + i), 1, i + 1);
      }
      source.writeSnapshot(snapshot);
    }
    byte[] bytes = snapshot.toByteArray();
    byte[] flipped = bytes.clone();
    flipped[bytes.length / 2] ^= 0x01;
    byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 20);
    try (KvStore target = KvStore.open(dir.resolve("target.mv.db"))) {
      new Applier(target).apply(put("mine", "kept"), 1, 1);
      for (byte[] bad : List.of(flipped, truncated)) {
        assertThrows(IOException.class, () -> target.restoreSnapshot(new ByteArrayInputStream(bad)));
        assertEquals(1, target.size());
        assertEquals("kept", target.get(b("mine")).orElseThrow().getValue().toStringUtf8());
        assertEquals(1, target.applied().index());
      }
    }
  }

  @Test
  void crashBetweenApplyAndCommitKeepsOnlyCommittedPosition() throws IOException {
    Path file = dir.resolve("kv.mv.db");
    KvStore store = KvStore.open(file);
    Applier applier = new Applier(store);
    for (int i = 1; i <= 10; i++) {
      applier.apply(put("counter", "v" + i), 1, i);
      if (i == 6) {
        store.commit();
      }
    }
    store.closeWithoutCommit();
    try (KvStore reopened = KvStore.open(file)) {
      // Data and position are from the same commit: index 6 with the 6th write's value.
      assertEquals(new AppliedState(1, 6, 6), reopened.applied());
      var counter = reopened.get(b("counter")).orElseThrow();
      assertEquals("v6", counter.getValue().toStringUtf8());
      assertEquals(6, counter.getVersion());
    }
    assertTrue(Files.size(file) > 0);
  }

  static io.ternkv.proto.raft.v1.BatchCommand batch(Command... commands) {
    io.ternkv.proto.raft.v1.BatchCommand.Builder b = io.ternkv.proto.raft.v1.BatchCommand.newBuilder();
    for (Command c : commands) {
      b.addWrites(io.ternkv.proto.raft.v1.BatchedWrite.newBuilder().setCommand(c));
    }
    return b.build();
  }

  @Test
  void aBatchAppliesEachWriteAtItsOwnRevisionAtOneLogIndex() throws IOException {
    try (KvStore store = KvStore.open(dir.resolve("kv.mv.db"))) {
      Applier applier = new Applier(store);
      applier.apply(put("a", "0"), 1, 1);
      List<io.ternkv.server.apply.ApplyResult> results =
          applier.applyBatch(batch(put("a", "1"), put("b", "1"), delete("a"), put("a", "2")), 1, 2);
      assertEquals(List.of(2L, 3L, 4L, 5L), results.stream().map(r -> r.revision()).toList());
      assertEquals(new AppliedState(1, 2, 5), store.applied());
      KvStore.ReadView view = store.view();
      assertEquals("1", view.get(b("a"), 2).orElseThrow().getValue().toStringUtf8());
      assertTrue(view.get(b("a"), 4).isEmpty(), "deleted at revision 4");
      assertEquals(5, view.get(b("a"), 5).orElseThrow().getCreateRevision(), "created again");
      List<Long> changed =
          view.changes(2, k -> true, false, Long.MAX_VALUE).changes().stream()
              .map(KvStore.Change::revision)
              .toList();
      assertEquals(List.of(2L, 3L, 4L, 5L), changed, "one change list per revision");
    }
  }

  @Test
  void aBatchNestedInABatchIsRefused() throws IOException {
    try (KvStore store = KvStore.open(dir.resolve("kv.mv.db"))) {
      Command nested = Command.newBuilder().setBatch(batch(put("x", "1"))).build();
      assertThrows(IllegalStateException.class, () -> new Applier(store).applyBatch(batch(nested), 1, 1));
      assertTrue(store.get(b("x")).isEmpty());
    }
  }
}
