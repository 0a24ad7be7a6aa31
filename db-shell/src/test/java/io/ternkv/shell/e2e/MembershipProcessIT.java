package io.ternkv.shell.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ternkv.client.ClusterStatus;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.Member;
import io.ternkv.client.RangeResult;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.ReadOptions;
import io.ternkv.client.Role;
import io.ternkv.client.TernClient;
import io.ternkv.client.WriteResult;
import io.ternkv.server.MemberSpec;
import io.ternkv.shell.Tern;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * Membership with real {@code tern server} processes on loopback while writers run: three nodes
 * grow to five (the first join through the shell, catching up from a snapshot), one is removed,
 * leadership moves to a newcomer, which is then killed with SIGKILL and removed as dead; no
 * acknowledged write is lost and the three survivors hold the same data at the same revision.
 * Finally SIGTERM on the leader hands leadership over before the process exits. On failure the
 * data directory and node logs are kept and their location printed.
 */
class MembershipProcessIT {
  static final Duration TIMEOUT = Duration.ofSeconds(60);
  /** Small snapshots and log segments, so that a joining node must install a snapshot. */
  static final List<String> SMALL_LOG = List.of("--snapshot-threshold", "200", "--log-segment-bytes", "16KiB");

  @Test
  void growShrinkAndMoveLeadershipUnderWritesThenKillTheLeaderLosesNoAcknowledgedWrite() throws Exception {
    Path dir = Files.createTempDirectory("ternkv-members-e2e-");
    boolean passed = false;
    try (ProcessCluster cluster = new ProcessCluster(dir, 3, SMALL_LOG);
        TernClient client = TernClient.builder().endpoints(cluster.endpoints()).requestTimeout(TIMEOUT).build()) {
      cluster.startAll();
      // Nodes to be added start now: they wait, not forming a group, while the JVMs warm up.
      int n4 = cluster.startJoining();
      int n5 = cluster.startJoining();
      Writers writers = new Writers(client);
      writers.start();
      writers.awaitMore(300);

      // n4 joins through the shell, as an operator would add it.
      MemberSpec m4 = cluster.member(n4);
      Run add = shell(cluster, "member add n4 " + m4.clientAddress() + "/" + m4.raftAddress());
      assertEquals(0, add.status, add.err);
      assertTrue(add.out.startsWith("added n4 as a voter; members: "), add.out);
      writers.awaitMore(100);

      MemberSpec m5 = cluster.member(n5);
      List<Member> five = client.addMember("n5", m5.clientAddress().toString(), m5.raftAddress().toString(), TIMEOUT);
      assertEquals(Set.of("n1", "n2", "n3", "n4", "n5"), voters(five));
      assertTrue(client.status(cluster.endpoint(n5)).snapshotsInstalled() >= 1, "n5 caught up from a snapshot");
      writers.awaitMore(100);

      // The leader reports every other member's progress; the shell shows it.
      Run status = shell(cluster, "set output json; status");
      assertEquals(0, status.status, status.err);
      JsonObject report = JsonParser.parseString(status.out.strip()).getAsJsonObject();
      int withLag = 0;
      for (JsonElement node : report.getAsJsonArray("nodes")) {
        withLag += node.getAsJsonObject().has("lag") ? 1 : 0;
      }
      assertEquals(4, withLag, "the leader reports the four others: " + status.out);

      // Remove an original follower and stop it.
      int leader = leaderIndex(client, cluster, List.of(0, 1, 2, n4, n5));
      int removed = leader == 1 ? 2 : 1;
      List<Member> four = client.removeMember(cluster.id(removed));
      assertEquals(4, four.size(), four.toString());
      assertEquals(0, cluster.terminate(removed), "a removed node stops cleanly");
      writers.awaitMore(100);

      // Leadership to the newest node, then kill it.
      assertEquals("n5", client.transferLeadership("n5"));
      assertEquals(Role.LEADER, client.status(cluster.endpoint(n5)).role());
      writers.awaitMore(100);
      cluster.kill9(n5);
      writers.awaitMore(200);

      // Replace nothing, just drop the dead member: three voters remain.
      assertEquals(3, client.removeMember("n5").size());
      writers.awaitMore(100);
      writers.stop();

      List<Integer> survivors = new ArrayList<>(List.of(0, 1, 2, n4));
      survivors.remove(Integer.valueOf(removed));
      writers.checkNoAcknowledgedWriteLost(client);
      assertConverged(client, cluster, survivors);

      // SIGTERM on the leader: it hands leadership over before the process exits.
      int stopping = leaderIndex(client, cluster, survivors);
      assertEquals(0, cluster.terminate(stopping));
      String log = Files.readString(cluster.log(stopping));
      Matcher handed = Pattern.compile(cluster.id(stopping) + ": handed leadership to (n\\d) before stopping").matcher(log);
      assertTrue(handed.find(), "no hand-over in " + cluster.log(stopping));
      assertTrue(handed.start() < log.lastIndexOf(cluster.id(stopping) + ": stopped"), "handed over before stopping");
      String successor = handed.group(1);
      survivors.remove(Integer.valueOf(stopping));
      assertTrue(survivors.stream().anyMatch(i -> cluster.id(i).equals(successor)), successor + " is a survivor");
      client.put("after/sigterm", "ok");
      for (int i : survivors) {
        ClusterStatus s = client.status(cluster.endpoint(i));
        assertEquals(Optional.of(successor), s.leaderId(), "leader as " + cluster.id(i) + " sees it");
      }
      for (int i : survivors) {
        assertEquals(0, cluster.terminate(i), "exit code of " + cluster.id(i));
      }
      passed = true;
    } finally {
      if (passed) {
        Files2.deleteRecursively(dir);
      } else {
        System.err.println("MembershipProcessIT failed; data and node logs kept in " + dir);
      }
    }
  }

  /** Writers putting increasing counters to a few keys each, remembering what was acknowledged. */
  static final class Writers {
    static final int THREADS = 2;
    static final int KEYS = 25;

    final TernClient client;
    final Map<String, Long> acknowledged = new ConcurrentHashMap<>();
    final AtomicLong acks = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicBoolean running = new AtomicBoolean(true);
    final List<Thread> threads = new ArrayList<>();

    Writers(TernClient client) {
      this.client = client;
    }

    void start() {
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        Thread th =
            new Thread(
                () -> {
                  for (long n = 1; running.get(); n++) {
                    String key = "w/" + thread + "/" + (n % KEYS);
                    try {
                      client.put(key, String.format("%012d", n));
                      acknowledged.merge(key, n, Math::max);
                      acks.incrementAndGet();
                    } catch (RuntimeException e) {
                      failures.incrementAndGet(); // outcome unknown: may or may not be applied
                    }
                  }
                },
                "writer-" + t);
        threads.add(th);
        th.start();
      }
    }

    /** Waits until {@code more} writes beyond the current count were acknowledged. */
    void awaitMore(long more) throws InterruptedException {
      long target = acks.get() + more;
      await("writers reach " + target + " acknowledged writes (failures: " + failures.get() + ")", () -> acks.get() >= target);
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread t : threads) {
        t.join(TIMEOUT.toMillis());
      }
    }

    /** Every acknowledged put's key holds its value or a later one. */
    void checkNoAcknowledgedWriteLost(TernClient client) {
      assertTrue(acknowledged.size() == THREADS * KEYS, "every key was written: " + acknowledged.size());
      for (Map.Entry<String, Long> e : acknowledged.entrySet()) {
        long stored = Long.parseLong(client.get(e.getKey()).orElseThrow().valueUtf8());
        assertTrue(stored >= e.getValue(), e.getKey() + " holds " + stored + ", acknowledged " + e.getValue());
      }
    }
  }

  /**
   * After one more write, every survivor applies it and a STALE read of everything at its revision
   * on each node has the same keys, values and versions.
   */
  static void assertConverged(TernClient client, ProcessCluster cluster, List<Integer> nodes) throws Exception {
    WriteResult last = client.put("converged", "yes");
    long revision = last.revision();
    Map<String, String> digests = new ConcurrentHashMap<>();
    for (int i : nodes) {
      String endpoint = cluster.endpoint(i);
      await(
          cluster.id(i) + " applies index " + last.raftIndex(),
          () -> {
            try {
              return client.status(endpoint).appliedIndex() >= last.raftIndex();
            } catch (RuntimeException e) {
              return false;
            }
          });
      digests.put(cluster.id(i), digest(endpoint, revision));
      try (TernClient pinned = TernClient.builder().endpoints(endpoint).requestTimeout(TIMEOUT).build()) {
        assertEquals(revision, pinned.get("converged", ReadConsistency.STALE).orElseThrow().modRevision());
      }
    }
    assertEquals(1, new TreeSet<>(digests.values()).size(), "same content at revision " + revision + ": " + digests);
  }

  /**
   * Key count and CRC of everything one node holds at {@code revision} (keys, values, mod
   * revisions and versions), read locally from that node.
   */
  static String digest(String endpoint, long revision) {
    try (TernClient pinned = TernClient.builder().endpoints(endpoint).requestTimeout(TIMEOUT).build()) {
      CRC32 crc = new CRC32();
      long count = 0;
      KeyRange range = KeyRange.all();
      while (true) {
        RangeResult page = pinned.range(range, 1000, ReadOptions.of(ReadConsistency.STALE).withRevision(revision));
        for (KeyValue kv : page.kvs()) {
          crc.update(kv.key());
          crc.update(0);
          crc.update(kv.value());
          crc.update(Long.toString(kv.modRevision() * 31 + kv.version()).getBytes(StandardCharsets.UTF_8));
          count++;
        }
        if (!page.more() || page.kvs().isEmpty()) {
          break;
        }
        range = range.after(page.kvs().get(page.kvs().size() - 1).key());
      }
      return count + " keys, crc " + Long.toHexString(crc.getValue());
    }
  }

  static Set<String> voters(List<Member> members) {
    Set<String> ids = new TreeSet<>();
    members.stream().filter(Member::voter).forEach(m -> ids.add(m.id()));
    return ids;
  }

  /** The node among {@code nodes} that reports itself leader, waiting for one. */
  static int leaderIndex(TernClient client, ProcessCluster cluster, List<Integer> nodes) throws InterruptedException {
    int[] found = {-1};
    await(
        "a leader among " + nodes,
        () -> {
          for (int i : nodes) {
            try {
              if (client.status(cluster.endpoint(i)).role() == Role.LEADER) {
                found[0] = i;
                return true;
              }
            } catch (RuntimeException e) {
              // stopped or not listening yet
            }
          }
          return false;
        });
    return found[0];
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
      Thread.sleep(50);
    }
  }

  record Run(int status, String out, String err) {}

  /** Runs {@code tern shell -c COMMANDS} against the initial members. */
  static Run shell(ProcessCluster cluster, String commands) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Tern.run(
            new String[] {"shell", "--endpoints", String.join(",", cluster.endpoints()), "-c", commands},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
