package io.ternkv.server.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.CompactCommand;
import io.ternkv.proto.raft.v1.PutCommand;
import io.ternkv.server.apply.Applier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store file under sustained random writes: dead space is reused, data survives reopen. */
class KvStoreFileTest {
  @TempDir Path dir;

  private static Command put(int key, ByteString value) {
    return Command.newBuilder()
        .setPut(
            PutCommand.newBuilder()
                .setKey(ByteString.copyFromUtf8(String.format("key-%06d", key)))
                .setValue(value))
        .build();
  }

  /**
   * 400 commits of 100 random puts over 2,000 keys rewrite most pages each time. When the space
   * of dead chunks is reused (it is, once each commit is synced and retention allows), the file
   * stays within a small multiple of the live data; when it is not, it grows by every commit
   * (to about 180 MB).
   */
  @Test
  void fileStaysBoundedUnderRandomRewrites() throws Exception {
    Path file = dir.resolve("store.mv.db");
    byte[] raw = new byte[256];
    new SplittableRandom(7).nextBytes(raw);
    ByteString value = ByteString.copyFrom(raw);
    SplittableRandom random = new SplittableRandom(11);
    long index = 0;
    long live;
    try (KvStore store = KvStore.open(file, 0)) {
      Applier applier = new Applier(store);
      for (int k = 0; k < 2_000; k++) {
        applier.apply(put(k, value), 1, ++index);
      }
      store.commit();
      live = Files.size(file);
      for (int c = 0; c < 400; c++) {
        for (int i = 0; i < 100; i++) {
          applier.apply(put(random.nextInt(2_000), value), 1, ++index);
        }
        long revision = store.applied().revision();
        if (revision > 2_000) {
          applier.apply(
              Command.newBuilder()
                  .setCompact(CompactCommand.newBuilder().setRevision(revision - 1_000))
                  .build(),
              1,
              ++index);
          while (store.compactSome(256)) {
            // remove the compacted history now, as the committer would in the background
          }
        }
        store.commit();
      }
      long size = Files.size(file);
      assertTrue(
          size < 20 * live,
          "store file grew to " + size + " bytes for about " + live + " bytes of live data");
    }
    try (KvStore reopened = KvStore.open(file)) {
      assertEquals(index, reopened.applied().index());
      assertEquals(2_000, reopened.size());
    }
  }
}
