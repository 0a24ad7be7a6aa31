package io.ternkv.shell.e2e.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.server.check.Op;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Three real {@code tern server} processes behind per-link proxies. In each scenario four clients
 * put, get (LINEARIZABLE and LEASE), delete and compare-and-set four fresh keys while a nemesis
 * repeats one kind of fault for the scenario's duration, then everything is healed and the
 * workload runs on until it has answered enough operations (bounded); the whole history must be
 * linearizable, with no valid request refused and no Raft connection misrouted. Some scenarios
 * also issue SESSION and bounded STALE reads, checked against their own guarantees. One cluster serves every scenario (each has its own
 * keys); on a failure its data, node logs, and the scenario's history and fault schedule are kept
 * under {@code target/robustness/} and the path printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaultScenariosIT {
  static final Duration DURATION = Robustness.duration(Duration.ofSeconds(6));
  static final int CLIENTS = 4;
  /** Bound of the STALE reads in scenarios that also issue SESSION and STALE reads. */
  static final Duration STALE_BOUND = Duration.ofMillis(500);
  /** Timing slack granted to the STALE check: client and nodes share one clock here. */
  static final Duration STALE_SLACK = Duration.ofMillis(50);
  /** The history must hold at least this many answered operations, and reads, to mean anything. */
  static final int MIN_OK = 100;
  static final int MIN_OK_READS = 20;
  /** How long the healed cluster may take to answer that many. */
  static final Duration MIN_OPS_WAIT = Duration.ofSeconds(60);

  private Path dir;
  private FaultyCluster cluster;
  private TernClient admin;
  private boolean allPassed = true;

  /** One step of a nemesis: inject a fault, wait, undo it. */
  @FunctionalInterface
  interface Move {
    void run(FaultyCluster c, TernClient admin, Random random) throws Exception;
  }

  @BeforeAll
  void startCluster() throws Exception {
    dir = Evidence.newDir("FaultScenariosIT");
    cluster = new FaultyCluster(dir.resolve("cluster"), 3, List.of());
    cluster.startAll();
    admin = TernClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(30)).build();
    Nemesis.awaitSoleLeader(cluster, admin, Duration.ofSeconds(60));
  }

  @AfterAll
  void stopCluster() throws Exception {
    admin.close();
    cluster.close();
    Evidence.keepOnFailure(dir, allPassed, "FaultScenariosIT");
  }

  @Test
  void leaderKilledAndRestarted() throws Exception {
    scenario("kill-leader", STALE_BOUND, (c, admin, r) -> {
      int l = Nemesis.awaitSoleLeader(c, admin, Duration.ofSeconds(30));
      c.kill9(l);
      Thread.sleep(500 + r.nextInt(1000));
      c.start(l);
      Thread.sleep(1500);
    });
  }

  @Test
  void randomNodeKilledAndRestarted() throws Exception {
    scenario("kill-random", (c, admin, r) -> {
      int i = r.nextInt(c.size());
      c.kill9(i);
      Thread.sleep(500 + r.nextInt(1000));
      c.start(i);
      Thread.sleep(1500);
    });
  }

  @Test
  void nodePausedWithSigstop() throws Exception {
    scenario("pause", (c, admin, r) -> {
      int i = r.nextBoolean() ? Nemesis.awaitSoleLeader(c, admin, Duration.ofSeconds(30)) : r.nextInt(c.size());
      c.pause(i);
      Thread.sleep(500 + r.nextInt(1500));
      c.resume(i);
      Thread.sleep(1000);
    });
  }

  @Test
  void leaderIsolatedFromTheMajority() throws Exception {
    scenario("isolate-leader", STALE_BOUND, (c, admin, r) -> {
      int l = Nemesis.awaitSoleLeader(c, admin, Duration.ofSeconds(30));
      c.partition(Set.of(l));
      Thread.sleep(1000 + r.nextInt(1500));
      c.heal();
      Thread.sleep(1000);
    });
  }

  @Test
  void splitTwoOneAndHeal() throws Exception {
    scenario("split-2-1", STALE_BOUND, (c, admin, r) -> {
      c.partition(Set.of(r.nextInt(c.size())));
      Thread.sleep(1000 + r.nextInt(1500));
      c.heal();
      Thread.sleep(1000);
    });
  }

  @Test
  void oneWayPartitions() throws Exception {
    scenario("one-way", STALE_BOUND, (c, admin, r) -> {
      int l = Nemesis.awaitSoleLeader(c, admin, Duration.ofSeconds(30));
      switch (r.nextInt(3)) {
        case 0 -> { // the leader is heard by nobody but hears everyone
          for (int j = 0; j < c.size(); j++) {
            if (j != l) {
              c.cut(l, j);
            }
          }
        }
        case 1 -> { // the leader hears nobody but is heard
          for (int j = 0; j < c.size(); j++) {
            if (j != l) {
              c.cut(j, l);
            }
          }
        }
        default -> { // one random directed link
          int a = r.nextInt(c.size());
          int b = (a + 1 + r.nextInt(c.size() - 1)) % c.size();
          c.cut(a, b);
        }
      }
      Thread.sleep(1000 + r.nextInt(1500));
      c.heal();
      Thread.sleep(1000);
    });
  }

  @Test
  void slowAndResetLinks() throws Exception {
    scenario("slow-links", STALE_BOUND, (c, admin, r) -> {
      int a = r.nextInt(c.size());
      int b = (a + 1 + r.nextInt(c.size() - 1)) % c.size();
      c.delay(a, b, Duration.ofMillis(20 + r.nextInt(200)));
      Thread.sleep(800);
      c.reset(a, b);
      Thread.sleep(800);
      c.heal();
      Thread.sleep(500);
    });
  }

  @Test
  void leadershipTransferredUnderLoad() throws Exception {
    scenario("transfer-leader", STALE_BOUND, (c, admin, r) -> {
      int l = Nemesis.awaitSoleLeader(c, admin, Duration.ofSeconds(30));
      int target = (l + 1 + r.nextInt(c.size() - 1)) % c.size();
      c.note("transfer leadership " + FaultyCluster.id(l) + " -> " + FaultyCluster.id(target));
      try {
        String now = admin.transferLeadership(FaultyCluster.id(target));
        c.note("leader " + now);
      } catch (TernException e) {
        // A transfer that times out or meets an election is still a fault worth the workload.
        c.note("transfer did not finish: " + e.getMessage());
      }
      Thread.sleep(300 + r.nextInt(700));
    });
  }

  @Test
  void wholeClusterKilledAndRestarted() throws Exception {
    scenario("restart-all", (c, admin, r) -> {
      c.kill9All();
      Thread.sleep(r.nextInt(500));
      c.startAll();
      Nemesis.awaitSoleLeader(c, admin, Duration.ofSeconds(60));
      Thread.sleep(1500);
    });
  }

  /** Records who leads in which term, so the schedule shows that the faults forced elections. */
  private void noteLeader() {
    int[] first = new int[1];
    try {
      if (Nemesis.leaders(cluster, admin, first) == 1) {
        cluster.note("leader " + FaultyCluster.id(first[0]) + " term " + admin.status(cluster.endpoint(first[0])).term());
      }
    } catch (RuntimeException e) {
      cluster.note("leader unknown (" + e.getMessage() + ")");
    }
  }

  private void scenario(String name, Move move) throws Exception {
    scenario(name, null, move);
  }

  /**
   * Runs the workload under {@code move} repeated for {@link #DURATION}; with {@code staleBound},
   * half its reads are SESSION and STALE ones (STALE reads through a client that knows only one
   * node, so followers answer them), checked against their own guarantees.
   */
  private void scenario(String name, Duration staleBound, Move move) throws Exception {
    boolean passed = false;
    long seed = Robustness.seed();
    List<String> keys = new ArrayList<>();
    for (int k = 0; k < 4; k++) {
      keys.add(name + "/k" + k);
    }
    int faultsBefore = cluster.faults().size();
    Workload workload = new Workload(keys, CLIENTS, seed, p -> {
      TernClient client = TernClient.builder()
          .endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(2)).build();
      if (staleBound == null) {
        return KvOps.of(client);
      }
      TernClient oneNode = TernClient.builder()
          .endpoints(List.of(cluster.endpoint(p % cluster.size()))).requestTimeout(Duration.ofSeconds(1)).build();
      return KvOps.of(client, oneNode);
    });
    if (staleBound != null) {
      workload.withWeakReads(staleBound);
    }
    try {
      workload.start();
      Thread.sleep(500);
      Random random = new Random(seed);
      long end = System.nanoTime() + DURATION.toNanos();
      int moves = 0;
      while (System.nanoTime() < end) {
        noteLeader();
        move.run(cluster, admin, random);
        moves++;
      }
      cluster.restoreAll();
      Nemesis.awaitSoleLeader(cluster, admin, Duration.ofSeconds(60));
      noteLeader();
      Thread.sleep(1000);
      // A busy machine may answer few operations during the faults: let the healed cluster
      // answer enough, within a bound, rather than judging a history too short to mean anything.
      long waitUntil = System.nanoTime() + MIN_OPS_WAIT.toNanos();
      while (!workload.answered(MIN_OK, MIN_OK_READS) && System.nanoTime() < waitUntil) {
        Thread.sleep(200);
      }
      List<Op> ops = workload.stop();
      List<String> faults = cluster.faults();
      faults = faults.subList(faultsBefore, faults.size());
      System.out.printf("%s (seed %d): %d fault moves; %s%n", name, seed, moves, Evidence.summary(ops));
      faults.forEach(f -> System.out.println("  " + f));
      Path evidence = dir.resolve(name);
      Files.createDirectories(evidence);
      long ok = ops.stream().filter(o -> o.outcome() == Op.Outcome.OK).count();
      long okReads = ops.stream().filter(o -> o.outcome() == Op.Outcome.OK && o.kind() == Op.Kind.GET).count();
      if (ok < MIN_OK || okReads < MIN_OK_READS) {
        Evidence.write(evidence, ops, faults);
      }
      assertTrue(ok >= MIN_OK && okReads >= MIN_OK_READS, "too few operations completed to mean anything (" + ok
          + " ok, " + okReads + " reads); kept in " + evidence);
      List<Op> refused = ops.stream().filter(o -> o.outcome() == Op.Outcome.FAILED).toList();
      if (!refused.isEmpty()) {
        Evidence.write(evidence, ops, faults);
      }
      assertEquals(List.of(), refused, "valid requests refused; kept in " + evidence);
      Evidence.assertLinearizable(evidence, ops, faults);
      if (staleBound != null) {
        long session = ops.stream().filter(o -> o.outcome() == Op.Outcome.OK && o.level() == Op.Level.SESSION).count();
        long stale = ops.stream().filter(o -> o.outcome() == Op.Outcome.OK && o.level() == Op.Level.STALE).count();
        System.out.printf("%s: %d SESSION and %d STALE reads answered (bound %d ms)%n", name, session, stale,
            staleBound.toMillis());
        Evidence.assertWeakReads(evidence, ops, faults, STALE_SLACK);
      }
      assertEquals(List.of(), cluster.misrouted(), "Raft connections through the wrong proxy");
      passed = true;
    } finally {
      if (!passed) {
        allPassed = false;
        workload.stopQuietly();
        cluster.restoreAll();
      }
    }
  }
}
