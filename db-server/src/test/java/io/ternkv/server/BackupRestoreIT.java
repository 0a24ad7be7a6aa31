package io.ternkv.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.BackupResult;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.Lease;
import io.ternkv.client.ReadOptions;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Online backup through the real client and gRPC, restore into a fresh cluster of real nodes. */
class BackupRestoreIT {
  @TempDir Path dir;

  static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  static List<String> content(TernClient client, ReadOptions options) {
    List<String> out = new ArrayList<>();
    for (KeyValue kv : client.range(KeyRange.all(), 0, options).kvs()) {
      out.add(
          kv.keyUtf8()
              + "="
              + Arrays.toString(kv.value())
              + " c"
              + kv.createRevision()
              + " m"
              + kv.modRevision()
              + " v"
              + kv.version()
              + " l"
              + kv.lease());
    }
    return out;
  }

  @Test
  void backupUnderWriteLoadRestoresIntoAFreshClusterWithTheSameContent() throws Exception {
    Path file = dir.resolve("cluster.backup");
    BackupResult backup;
    List<String> atBackup;
    long leaseId;
    try (LocalCluster source = LocalCluster.builder().nodes(3).start();
        TernClient client = TernClient.builder().endpoints(source.endpoints()).build()) {
      source.awaitLeader(Duration.ofSeconds(20));
      Lease lease = client.leaseGrant(Duration.ofMinutes(10));
      leaseId = lease.id();
      client.put(b("leased/x"), b("held"), leaseId);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong writes = new AtomicLong();
      Thread writer =
          new Thread(
              () -> {
                for (int i = 0; !stop.get(); i++) {
                  try {
                    client.put("k/" + (i % 300), "v" + i + "-" + "x".repeat(i % 200));
                    writes.incrementAndGet();
                  } catch (TernException e) {
                    return;
                  }
                }
              });
      writer.start();
      while (writes.get() < 500) {
        Thread.sleep(10);
      }
      List<Long> progress = new ArrayList<>();
      backup = client.backup(file, (bytes, estimate) -> progress.add(bytes));
      long during = writes.get();
      while (writes.get() < during + 200) {
        Thread.sleep(10);
      }
      stop.set(true);
      writer.join();
      assertTrue(Files.size(file) == backup.bytes() && backup.bytes() > 0);
      assertFalse(progress.isEmpty(), "progress was reported");
      assertEquals(backup.bytes(), progress.get(progress.size() - 1));
      assertFalse(Files.exists(dir.resolve("cluster.backup.partial")));
      assertTrue(backup.revision() > 500, "taken under load at revision " + backup.revision());
      assertTrue(client.get("k/0").orElseThrow().modRevision() > backup.revision(), "writes went on after it");
      atBackup = content(client, ReadOptions.atRevision(backup.revision()));
      assertEquals(301, atBackup.size());
    }

    LocalCluster target = LocalCluster.builder().nodes(3).dataDir(dir.resolve("restored")).build();
    for (int i = 0; i < 3; i++) {
      Restore.Result r = Restore.restore(file, target.config(i));
      assertEquals(backup.revision(), r.revision());
      assertEquals(301, r.keys());
    }
    try (target;
        TernClient client = TernClient.builder().endpoints(target.endpoints()).build()) {
      target.start();
      target.awaitLeader(Duration.ofSeconds(20));
      assertEquals(atBackup, content(client, ReadOptions.of(io.ternkv.client.ReadConsistency.LINEARIZABLE)));
      assertEquals(atBackup, content(client, ReadOptions.atRevision(backup.revision())), "history came along");
      long next = client.put("after/restore", "1").revision();
      assertEquals(backup.revision() + 1, next, "revisions continue");
      assertTrue(client.leases().contains(leaseId), "the lease came along");
      Lease fresh = client.leaseGrant(Duration.ofSeconds(30));
      assertTrue(fresh.id() > backup.raftIndex(), "new lease ids never collide with restored ones");
      assertEquals(1, client.leaseRevoke(leaseId), "revoking the restored lease deletes its key");
      assertTrue(client.get("leased/x").isEmpty());
      // Every node holds the same data.
      for (int node = 0; node < 3; node++) {
        try (TernClient one = TernClient.builder().endpoints(target.endpoint(node)).build()) {
          HistoryIT.await(one, client.get("after/restore").orElseThrow().modRevision() + 1);
          List<String> local = content(one, ReadOptions.of(io.ternkv.client.ReadConsistency.STALE));
          assertEquals(client.range(KeyRange.all(), 0).kvs().size(), local.size(), "node " + node);
        }
      }
    }
  }

  @Test
  void corruptTruncatedOrMisplacedRestoresAreRefusedAndLeaveNothing() throws Exception {
    Path file = dir.resolve("small.backup");
    try (LocalCluster source = LocalCluster.builder().nodes(1).start();
        TernClient client = TernClient.builder().endpoints(source.endpoints()).build()) {
      source.awaitLeader(Duration.ofSeconds(20));
      for (int i = 0; i < 100; i++) {
        client.put("s/" + i, "value " + i);
      }
      client.backup(file, (bytes, total) -> {});
    }
    byte[] good = Files.readAllBytes(file);
    byte[] flipped = good.clone();
    flipped[good.length / 2] ^= 0x10;
    Path corrupt = dir.resolve("corrupt.backup");
    Files.write(corrupt, flipped);
    Path truncated = dir.resolve("truncated.backup");
    Files.write(truncated, Arrays.copyOf(good, good.length - 100));
    Path empty = dir.resolve("empty.backup");
    Files.write(empty, new byte[0]);

    LocalCluster target = LocalCluster.builder().nodes(1).dataDir(dir.resolve("t")).build();
    ServerConfig config = target.config(0);
    for (Path bad : List.of(corrupt, truncated, empty, dir.resolve("missing.backup"))) {
      IOException e = assertThrows(IOException.class, () -> Restore.restore(bad, config), bad.toString());
      assertTrue(e.getMessage().contains(bad.getFileName().toString()), e.getMessage());
      assertFalse(Files.exists(config.dataDir()), "nothing left behind after " + bad);
    }
    Restore.restore(file, config);
    IOException again = assertThrows(IOException.class, () -> Restore.restore(file, config));
    assertTrue(again.getMessage().contains("not empty"), again.getMessage());
    try (target;
        TernClient client = TernClient.builder().endpoints(target.endpoints()).build()) {
      target.start();
      target.awaitLeader(Duration.ofSeconds(20));
      assertEquals("value 42", new String(client.get("s/42").orElseThrow().value(), UTF_8));
    }
  }
}
