package io.ternkv.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.concurrency.Election;
import io.ternkv.client.concurrency.LeaderListener;
import io.ternkv.client.concurrency.LeaderObserver;
import io.ternkv.client.concurrency.NotElectedException;
import io.ternkv.client.concurrency.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@link Election} recipe through real clients, gRPC, Raft and store of a 3-node cluster. */
@SuppressWarnings("try") // observers held open by try-with-resources, not otherwise used
class ElectionIT {
  static final String PREFIX = "elections/scheduler";
  static final Duration LONG_TTL = Duration.ofSeconds(10);
  static final Duration SHORT_TTL = Duration.ofSeconds(2);

  LocalCluster cluster;
  TernClient admin;
  final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    admin = client();
  }

  @AfterEach
  void stop() throws Exception {
    List<AutoCloseable> open = new ArrayList<>(resources);
    Collections.reverse(open); // sessions before their clients
    for (AutoCloseable c : open) {
      c.close();
    }
    cluster.close();
  }

  TernClient client() {
    TernClient c =
        TernClient.builder()
            .endpoints(cluster.endpoints())
            .requestTimeout(Duration.ofSeconds(10))
            .build();
    resources.add(c);
    return c;
  }

  Session session(TernClient client, Duration ttl) {
    Session s = Session.open(client, ttl);
    resources.add(s);
    return s;
  }

  Election candidate(Duration ttl) {
    return new Election(session(client(), ttl), PREFIX);
  }

  static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "never: " + what);
      Thread.sleep(20);
    }
  }

  static <T> T within30s(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  int candidateKeys() {
    return admin.range(KeyRange.prefix(PREFIX + "/"), 0).kvs().size();
  }

  static long leaders(Election... candidates) {
    return Stream.of(candidates).filter(Election::isLeader).count();
  }

  /** Records leader values as strings, "none" for no leader. */
  static final class Recorder implements LeaderListener {
    final List<String> seen = new CopyOnWriteArrayList<>();
    volatile TernException cancelled;

    @Override
    public void onLeader(Optional<KeyValue> leader) {
      seen.add(leader.map(KeyValue::valueUtf8).orElse("none"));
    }

    @Override
    public void onCancelled(TernException reason) {
      cancelled = reason;
    }
  }

  @Test
  void oneLeaderAtATimeAndObserversSeeEveryChangeInOrder() throws Exception {
    Recorder observed = new Recorder();
    Election c0 = candidate(LONG_TTL);
    Election c1 = candidate(LONG_TTL);
    Election c2 = candidate(LONG_TTL);
    try (LeaderObserver observer =
        new Election(session(admin, LONG_TTL), PREFIX).observe(observed)) {
      await("the observer reports that nobody leads", () -> observed.seen.equals(List.of("none")));
      assertEquals(Optional.empty(), c0.leader());

      c0.campaign(b("c0"));
      CompletableFuture<Void> c1Wins = c1.campaignAsync(b("c1"));
      await("c1 is queued", () -> candidateKeys() == 2);
      CompletableFuture<Void> c2Wins = c2.campaignAsync(b("c2"));
      await("c2 is queued", () -> candidateKeys() == 3);
      assertEquals(1, leaders(c0, c1, c2));
      assertTrue(c0.isLeader());
      assertFalse(c1Wins.isDone() || c2Wins.isDone(), "the others wait");
      assertEquals("c0", c2.leader().orElseThrow().valueUtf8());

      c0.proclaim(b("c0-v2"));
      assertEquals("c0-v2", c1.leader().orElseThrow().valueUtf8());
      assertThrows(
          NotElectedException.class, () -> c1.proclaim(b("usurper")), "a waiting candidate");
      long c0Token = c0.fencingToken();

      c0.resign();
      within30s(c1Wins);
      assertEquals(1, leaders(c0, c1, c2));
      assertTrue(c1.isLeader(), "the next candidate in line leads");
      assertTrue(c1.fencingToken() > c0Token);
      assertThrows(NotElectedException.class, () -> c0.proclaim(b("c0-v3")), "a resigned leader");
      assertFalse(c2Wins.isDone());

      c1.session().close(); // the leader's session ends: its key goes with the lease
      within30s(c2Wins);
      assertFalse(c1.isLeader());
      assertTrue(c2.isLeader());
      assertEquals(1, leaders(c0, c1, c2));
      c2.proclaim(b("c2-v2"));

      c2.resign();
      assertEquals(0, leaders(c0, c1, c2));
      List<String> expected = List.of("none", "c0", "c0-v2", "c1", "c2", "c2-v2", "none");
      await("the observer saw every change", () -> observed.seen.size() >= expected.size());
      assertEquals(expected, observed.seen);
      assertEquals(null, observed.cancelled);
    }
  }

  @Test
  void aLeaderWhoseProcessDiesIsReplacedAfterItsTtl() throws Exception {
    TernClient doomed = client();
    Election leader = new Election(session(doomed, SHORT_TTL), PREFIX);
    Election next = candidate(LONG_TTL);
    Recorder observed = new Recorder();
    try (LeaderObserver observer = next.observe(observed)) {
      leader.campaign(b("dying"));
      CompletableFuture<Void> nextWins = next.campaignAsync(b("next"));
      await("next is queued", () -> candidateKeys() == 2);
      assertFalse(nextWins.isDone());

      doomed.close(); // no resign, no revoke: the lease expires a TTL after the last keep-alive
      within30s(nextWins);
      assertTrue(next.isLeader());
      assertEquals("next", admin.get(next.key()).orElseThrow().valueUtf8());
      await("the observer saw the hand-over", () -> observed.seen.contains("next"));
      assertEquals(
          List.of("dying", "next"),
          observed.seen.subList(observed.seen.indexOf("dying"), observed.seen.size()));
      next.resign();
    }
  }

  @Test
  void resignWithdrawsACampaignAndALeaderThatLostItsLeaseCannotProclaim() throws Exception {
    Session leaderSession = session(client(), LONG_TTL);
    Election leader = new Election(leaderSession, PREFIX);
    leader.campaign(b("first"));
    Election waiting = candidate(LONG_TTL);
    CompletableFuture<Void> campaign = waiting.campaignAsync(b("second"));
    await("the second candidate is queued", () -> candidateKeys() == 2);

    waiting.resign();
    ExecutionException e = assertThrows(ExecutionException.class, () -> within30s(campaign));
    assertEquals(ErrorCode.CANCELLED, assertInstanceOf(TernException.class, e.getCause()).code());
    assertEquals(1, candidateKeys(), "the withdrawn candidate's key is gone");

    admin.leaseRevoke(leaderSession.lease().id());
    assertThrows(NotElectedException.class, () -> leader.proclaim(b("too late")));
    assertFalse(leader.isLeader());
    assertEquals(Optional.empty(), leader.leader());
    assertEquals(Session.State.EXPIRED, within30s(leaderSession.ended()));
  }
}
