package io.ternkv.server.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.PutCommand;
import io.ternkv.server.apply.Applier;
import io.ternkv.server.storage.KvStore;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.MD5FileUtil;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackgroundSnapshotsTest {
  @TempDir Path dir;

  static Command put(String key, String value) {
    return Command.newBuilder()
        .setPut(PutCommand.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value)))
        .build();
  }

  @Test
  void writesThePinnedViewWhileAppliesGoOnAndReportsItOnTheNextPoll() throws Exception {
    Path raftDir = dir.resolve("raft");
    Files.createDirectories(raftDir);
    try (RaftStorage storage =
            RaftStorage.newBuilder()
                .setDirectory(raftDir.toFile())
                .setOption(RaftStorage.StartupOption.FORMAT)
                .setStorageFreeSpaceMin(SizeInBytes.valueOf(0))
                .build();
        KvStore store = KvStore.open(dir.resolve("kv.mv.db"))) {
      storage.initialize();
      SimpleStateMachineStorage snapshots = new SimpleStateMachineStorage();
      snapshots.init(storage);
      BackgroundSnapshots background = new BackgroundSnapshots("n1", snapshots, RaftEvents.NONE);
      Applier applier = new Applier(store);
      for (int i = 1; i <= 50; i++) {
        applier.apply(put("k" + i, "v" + i), 2, i);
      }
      assertEquals(-1, background.poll(store), "started, not finished");
      applier.apply(put("after", "x"), 2, 51); // applies go on; the snapshot has index 50
      background.awaitIdle();

      SingleFileSnapshotInfo latest = snapshots.getLatestSnapshot();
      assertEquals(50, latest.getIndex());
      assertEquals(2, latest.getTerm());
      assertEquals(
          MD5FileUtil.computeMd5ForFile(latest.getFile().getPath().toFile()),
          latest.getFile().getFileDigest(),
          "the digest computed while writing matches the file");
      assertEquals(50, background.poll(store), "the finished snapshot, once");
      assertEquals(-1, background.poll(store), "a new one started from index 51");
      background.awaitIdle();
      assertEquals(51, snapshots.getLatestSnapshot().getIndex());

      try (KvStore copy = KvStore.open(dir.resolve("copy.mv.db"));
          InputStream in = Files.newInputStream(latest.getFile().getPath())) {
        copy.restoreSnapshot(in);
        assertEquals(50, copy.applied().index());
        assertEquals(50, copy.size());
        assertTrue(copy.get("after".getBytes()).isEmpty(), "written after the view was pinned");
      }
      background.close();
      try (var files = Files.list(snapshots.getSnapshotFile(1, 1).toPath().getParent())) {
        assertTrue(files.noneMatch(f -> f.toString().endsWith(".tmp")), "no temporary file left");
      }
    }
  }
}
