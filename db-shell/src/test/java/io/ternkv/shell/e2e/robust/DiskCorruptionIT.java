package io.ternkv.shell.e2e.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.ClusterStatus;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.client.WriteConsistency;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Damaged files on one follower's disk at start-up: the node must either refuse to start, saying
 * what is wrong, or repair what is safe to repair and then hold exactly the leader's data; it must
 * never serve wrong data. What Ratis does (3.3, {@code raft.server.log.corruption.policy} left at
 * its default EXCEPTION): a last entry cut short by the end of the file is a torn write and is
 * dropped with a warning ("Ignoring the last partial written log entry"); an entry whose checksum
 * does not match fails the log's loading, so the server does not start.
 */
class DiskCorruptionIT {
  static final List<String> FLAGS = List.of("--snapshot-threshold", "100");

  /**
   * A crash in the middle of appending an entry leaves its first bytes at the end of the segment
   * file; that entry was never fsynced, so never acknowledged. (Cutting into an entry this node
   * had already acknowledged is a different thing, a disk that lost synced data: the leader
   * remembers the follower's match index and Ratis then never backs off, so the follower is stuck.)
   */
  @Test
  void tornLastEntryIsDroppedAndTheNodeCatchesUpAndRestartsAgain() throws Exception {
    run("torn-tail", (c, node) -> {
      Path segment = lastSegment(c, node);
      long end = dataEnd(segment);
      try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
        f.seek(end);
        f.write(new byte[] {0x40, 0x0a, 0x07, 0x13, 0x55, 0x21}); // length 64, then 5 of its bytes
        f.setLength(end + 6);
      }
      return "cut " + segment + " after " + end + " data bytes plus the first 6 bytes of a 64-byte entry";
    }, Expect.REPAIR, "Ignoring the last partial written log entry");
  }

  @Test
  void flippedByteInTheLastLogSegmentStopsTheNode() throws Exception {
    run("flipped-log-byte", (c, node) -> {
      Path segment = lastSegment(c, node);
      long at = dataEnd(segment) / 2;
      flip(segment, at);
      return "flipped byte " + at + " of " + segment;
    }, Expect.REFUSE, "corrupted");
  }

  @Test
  void damagedSnapshotFileIsNeverServed() throws Exception {
    run("damaged-snapshot", (c, node) -> {
      Path snapshot = latest(c.dataDir(node).resolve("raft"), "snapshot.", ".md5");
      long size = Files.size(snapshot);
      flip(snapshot, size / 2);
      try (RandomAccessFile f = new RandomAccessFile(snapshot.toFile(), "rw")) {
        f.setLength(size - 7);
      }
      return "flipped a byte of and truncated " + snapshot;
    }, Expect.EITHER, null);
  }

  enum Expect {
    REPAIR,
    REFUSE,
    EITHER
  }

  @FunctionalInterface
  interface Damage {
    String apply(FaultyCluster c, int node) throws IOException;
  }

  private void run(String name, Damage damage, Expect expect, String logSays) throws Exception {
    Path dir = Evidence.newDir("DiskCorruptionIT-" + name);
    boolean passed = false;
    try (FaultyCluster c = new FaultyCluster(dir.resolve("cluster"), 3, FLAGS);
        TernClient admin =
            TernClient.builder().endpoints(c.endpoints()).requestTimeout(Duration.ofSeconds(30)).build()) {
      c.startAll();
      int leader = Nemesis.awaitSoleLeader(c, admin, Duration.ofSeconds(60));
      for (int k = 0; k < 250; k++) {
        admin.put("disk/" + k, "v" + k);
      }
      long synced =
          admin.put("disk/sync".getBytes(StandardCharsets.UTF_8), new byte[] {1}, WriteConsistency.ALL).raftIndex();
      int victim = (leader + 1) % 3;
      c.kill9(victim);
      String what = damage.apply(c, victim);
      c.note(what);
      System.out.println(name + ": " + what);
      long logBefore = Files.size(c.log(victim));
      c.start(victim);
      OptionalInt exit = awaitOutcome(c, admin, victim, synced);
      String log = Files.readString(c.log(victim)).substring((int) logBefore);
      log.lines()
          .filter(l -> l.matches("(?i).*(corrupt|checksum|partial|snapshot|error|refus).*") && !l.startsWith("\tat ") && !l.startsWith("  "))
          .limit(6)
          .forEach(l -> System.out.println(name + ": node log: " + l));
      if (exit.isPresent()) {
        System.out.println(name + ": node refused to start, exit code " + exit.getAsInt());
        assertTrue(expect != Expect.REPAIR, name + ": refused to start although the damage is safe to repair; log "
            + c.log(victim));
        assertTrue(exit.getAsInt() != 0, "refusal with exit code 0");
        assertTrue(logSays == null || log.contains(logSays), name + ": log does not say '" + logSays + "': " + c.log(victim));
      } else {
        System.out.println(name + ": node started");
        assertTrue(expect != Expect.REFUSE, name + ": node started on damaged data; log " + c.log(victim));
        assertTrue(logSays == null || log.contains(logSays), name + ": log does not say '" + logSays + "': " + c.log(victim));
        // Whatever it repaired, it must now hold exactly the leader's data.
        for (int k = 250; k < 300; k++) {
          admin.put("disk/" + k, "v" + k);
        }
        long index = admin.put("disk/sync".getBytes(StandardCharsets.UTF_8), new byte[] {2}, WriteConsistency.ALL)
            .raftIndex();
        Nemesis.awaitFollowing(c, admin, victim, index, Duration.ofSeconds(60));
        assertEquals(read(c, leader), read(c, victim), name + ": repaired node differs from the leader");
        assertEquals(301, read(c, victim).size());
        // The repair must leave a log that loads again.
        c.kill9(victim);
        c.start(victim);
        long again = admin.put("disk/sync".getBytes(StandardCharsets.UTF_8), new byte[] {3}, WriteConsistency.ALL)
            .raftIndex();
        assertTrue(awaitOutcome(c, admin, victim, again).isEmpty(), name + ": did not start a second time; log "
            + c.log(victim));
        assertEquals(read(c, leader), read(c, victim), name + ": node differs from the leader after a second restart");
      }
      // The rest of the cluster is unaffected either way.
      admin.put("disk/after", "ok");
      passed = true;
    } finally {
      Evidence.keepOnFailure(dir, passed, "DiskCorruptionIT " + name);
    }
  }

  /** Waits until the node exits (its code) or answers as a follower that applied {@code index} (empty). */
  private static OptionalInt awaitOutcome(FaultyCluster c, TernClient admin, int node, long index)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      OptionalInt exit = c.awaitExit(node, Duration.ofMillis(200));
      if (exit.isPresent()) {
        return exit;
      }
      try {
        ClusterStatus s = admin.status(c.endpoint(node));
        if (s.leaderId().isPresent() && s.appliedIndex() >= index) {
          return OptionalInt.empty();
        }
      } catch (RuntimeException e) {
        // not listening yet
      }
    }
    throw new AssertionError("node neither exited nor caught up; log " + c.log(node));
  }

  private static Map<String, String> read(FaultyCluster c, int node) {
    try (TernClient pinned =
        TernClient.builder().endpoints(c.endpoint(node)).requestTimeout(Duration.ofSeconds(30)).build()) {
      ClusterStatus s = pinned.status(c.endpoint(node));
      Map<String, String> out = new TreeMap<>();
      for (KeyValue kv : pinned.range(KeyRange.prefix("disk/"), 0, ReadConsistency.STALE).kvs()) {
        out.put(kv.keyUtf8(), kv.valueUtf8());
      }
      assertTrue(s.appliedIndex() > 0);
      return out;
    }
  }

  private static Path lastSegment(FaultyCluster c, int node) throws IOException {
    return latest(c.dataDir(node).resolve("raft"), "log_", null);
  }

  /** The file under {@code root} whose name starts with {@code prefix} and has the highest start index. */
  private static Path latest(Path root, String prefix, String notSuffix) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(p -> p.getFileName().toString().startsWith(prefix))
          .filter(p -> notSuffix == null || !p.getFileName().toString().endsWith(notSuffix))
          .max(Comparator.comparingLong(DiskCorruptionIT::startIndex))
          .orElseThrow(() -> new AssertionError("no " + prefix + "* file under " + root));
    }
  }

  /** log_inprogress_S, log_S-E and snapshot.T_I all sort by their last number group. */
  private static long startIndex(Path p) {
    String n = p.getFileName().toString().replaceAll("\\.md5$", "");
    String digits = n.replaceAll("^.*?(\\d+)(-\\d+)?$", "$1");
    if (n.startsWith("snapshot.")) {
      digits = n.substring(n.lastIndexOf('_') + 1);
    }
    return n.contains("inprogress") ? Long.MAX_VALUE : Long.parseLong(digits);
  }

  /** Where the written part of a (zero-preallocated) segment ends. */
  private static long dataEnd(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    int end = b.length;
    while (end > 0 && b[end - 1] == 0) {
      end--;
    }
    assertTrue(end > 64, "segment " + file + " holds almost nothing");
    return end;
  }

  private static void flip(Path file, long at) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x5a);
    }
  }
}
