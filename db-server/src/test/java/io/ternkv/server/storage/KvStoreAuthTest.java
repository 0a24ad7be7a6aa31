package io.ternkv.server.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.proto.raft.v1.AuthCommand;
import io.ternkv.proto.raft.v1.AuthUserPut;
import io.ternkv.proto.raft.v1.AuthUserRole;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.server.apply.Applier;
import io.ternkv.server.auth.AuthState;
import io.ternkv.server.auth.Passwords;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Users and roles live in the store: they survive reopening and travel with snapshots. */
class KvStoreAuthTest {
  @TempDir Path dir;

  static Command auth(AuthCommand.Builder c) {
    return Command.newBuilder().setAuth(c).build();
  }

  @Test
  void usersSurviveReopenAndTravelWithSnapshots() throws Exception {
    ByteArrayOutputStream snapshot = new ByteArrayOutputStream();
    try (KvStore store = KvStore.open(dir.resolve("a.db"))) {
      Applier applier = new Applier(store);
      long changes = store.authChanges();
      applier.apply(
          auth(AuthCommand.newBuilder().setUserPut(AuthUserPut.newBuilder().setName("root").setPassword(Passwords.hash("pw")))),
          1,
          1);
      applier.apply(
          auth(AuthCommand.newBuilder().setUserGrantRole(AuthUserRole.newBuilder().setUser("root").setRole("root"))), 1, 2);
      assertTrue(store.authChanges() > changes);
      assertTrue(AuthState.decode(store.view().authEntries()).isRoot("root"));
      assertEquals(0, store.applied().revision()); // auth changes take no revision
      store.writeSnapshot(snapshot);
    }
    try (KvStore reopened = KvStore.open(dir.resolve("a.db"))) {
      AuthState state = AuthState.decode(reopened.view().authEntries());
      assertTrue(state.isRoot("root"));
      assertEquals(1, state.user("root").orElseThrow().getEpoch());
    }
    try (KvStore restored = KvStore.open(dir.resolve("b.db"))) {
      long before = restored.authChanges();
      restored.restoreSnapshot(new ByteArrayInputStream(snapshot.toByteArray()));
      assertTrue(restored.authChanges() > before);
      AuthState state = AuthState.decode(restored.view().authEntries());
      assertTrue(state.isRoot("root"));
      assertTrue(Passwords.verify("pw", state.user("root").orElseThrow().getPassword()));
    }
  }
}
