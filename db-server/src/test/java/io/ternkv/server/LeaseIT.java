package io.ternkv.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.InvalidArgumentException;
import io.ternkv.client.KeepAlive;
import io.ternkv.client.KeyRange;
import io.ternkv.client.Lease;
import io.ternkv.client.LeaseInfo;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import io.ternkv.client.Txn;
import io.ternkv.client.TxnOp;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Leases through the real client, gRPC, Raft and store of a 3-node cluster. */
class LeaseIT {
  LocalCluster cluster;
  TernClient client;

  @BeforeEach
  void start() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    client = TernClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(10)).build();
  }

  @AfterEach
  void stop() {
    client.close();
    cluster.close();
  }

  static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  /** Polls until the condition holds; fails with {@code what} after 20 s. */
  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "never: " + what);
      Thread.sleep(50);
    }
  }

  /** Keys under a prefix on one node's local state. */
  List<String> keysOn(int node, String prefix) {
    try (TernClient one =
        TernClient.builder().endpoints(cluster.endpoint(node)).requestTimeout(Duration.ofSeconds(5)).build()) {
      return one.range(KeyRange.prefix(prefix), 0, ReadConsistency.STALE).kvs().stream()
          .map(kv -> kv.keyUtf8())
          .toList();
    }
  }

  @Test
  void expiryDeletesTheLeasesKeysOnEveryReplicaAtOneRevision() throws Exception {
    Lease lease = client.leaseGrant(Duration.ofSeconds(1));
    assertTrue(lease.id() > 0);
    client.put(b("exp/a"), b("1"), lease.id());
    client.put(b("exp/b"), b("1"), lease.id());
    long before = client.put(b("exp/kept"), b("1")).revision();
    assertEquals(lease.id(), client.get(b("exp/a")).orElseThrow().lease());
    assertTrue(client.leases().contains(lease.id()));

    await("the lease expires", () -> client.leaseTimeToLive(lease.id(), false).remaining().isEmpty());
    for (int node = 0; node < 3; node++) {
      int n = node;
      await("node " + n + " applies the expiry", () -> keysOn(n, "exp/").equals(List.of("exp/kept")));
    }
    assertFalse(client.leases().contains(lease.id()));
    long after = client.txn(Txn.builder().build()).header().revision();
    assertEquals(before + 1, after, "both keys went at one revision");
  }

  @Test
  void keepAliveKeepsKeysPastTheirTtlAndTheyGoOnceItStops() throws Exception {
    Lease lease = client.leaseGrant(Duration.ofSeconds(1));
    client.put(b("ka/a"), b("1"), lease.id());
    try (KeepAlive alive = client.keepAlive(lease)) {
      Thread.sleep(3_000); // three TTLs
      assertTrue(alive.isAlive(), String.valueOf(alive.failure()));
      assertTrue(client.get(b("ka/a")).isPresent(), "kept alive past its TTL");
      LeaseInfo info = client.leaseTimeToLive(lease.id(), true);
      assertTrue(info.remaining().isPresent());
      assertEquals(Duration.ofSeconds(1), info.granted());
      assertEquals(List.of("ka/a"), info.keys().stream().map(k -> new String(k, UTF_8)).toList());
    }
    await("the key goes once keep-alives stop", () -> client.get(b("ka/a")).isEmpty());
  }

  @Test
  void revokeDeletesAtOnceAndAGoneLeaseIsRefusedEverywhere() {
    Lease lease = client.leaseGrant(Duration.ofMinutes(1));
    client.put(b("rv/a"), b("1"), lease.id());
    client.put(b("rv/b"), b("1"), lease.id());
    assertEquals(2, client.leaseRevoke(lease.id()));
    assertTrue(client.get(b("rv/a")).isEmpty());
    assertTrue(client.get(b("rv/b")).isEmpty());

    for (Runnable gone :
        List.<Runnable>of(
            () -> client.leaseRevoke(lease.id()),
            () -> client.put(b("rv/c"), b("1"), lease.id()),
            () -> client.txn(Txn.builder().then(TxnOp.put(b("rv/d"), b("1")), TxnOp.put(b("rv/e"), b("1"), lease.id())).build()))) {
      TernException e = assertThrows(TernException.class, gone::run);
      assertEquals(ErrorCode.FAILED_PRECONDITION, e.code(), e.getMessage());
      assertFalse(e.isRetriable());
      assertTrue(e.getMessage().contains("lease " + lease.id() + " not found"), e.getMessage());
    }
    assertTrue(client.get(b("rv/d")).isEmpty(), "the refused transaction wrote nothing");
    assertEquals(java.util.Optional.empty(), client.leaseKeepAliveOnce(lease.id()));
    assertThrows(InvalidArgumentException.class, () -> client.leaseGrant(Duration.ofMillis(10)));
  }

  @Test
  void keepAliveStopsOnAnErrorThatRetryingCannotFix() throws Exception {
    try (KeepAlive bad = client.keepAlive(new Lease(-1, Duration.ofSeconds(1)))) {
      await("keep-alive gives up", () -> !bad.isAlive());
      assertTrue(bad.failure().orElseThrow() instanceof InvalidArgumentException, String.valueOf(bad.failure()));
    }
  }

  @Test
  void keepAliveReportsWhenItStopsAlsoWhenItsClientCloses() throws Exception {
    TernClient own = TernClient.builder().endpoints(cluster.endpoints()).build();
    Lease lease = own.leaseGrant(Duration.ofSeconds(2));
    KeepAlive alive = own.keepAlive(lease);
    await("a renewal", () -> alive.lastRenewal().isPresent());
    assertFalse(alive.stopped().isDone());
    own.close();
    Throwable why = alive.stopped().get(5, java.util.concurrent.TimeUnit.SECONDS).orElseThrow();
    assertEquals(ErrorCode.CANCELLED, ((TernException) why).code(), why.getMessage());
    assertFalse(alive.isAlive());

    KeepAlive closed = client.keepAlive(client.leaseGrant(Duration.ofSeconds(2)));
    closed.close();
    assertTrue(closed.stopped().get(5, java.util.concurrent.TimeUnit.SECONDS).isEmpty(), "closed, not failed");
  }

  @Test
  void aLeaderChangeDoesNotExpireAKeptAliveLease() throws Exception {
    Lease lease = client.leaseGrant(Duration.ofSeconds(2));
    client.put(b("lc/a"), b("1"), lease.id());
    try (KeepAlive alive = client.keepAlive(lease)) {
      int old = cluster.awaitLeader(Duration.ofSeconds(10));
      cluster.killNode(old);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      int fresh;
      do {
        Thread.sleep(50);
        fresh = cluster.leaderIndex().orElse(old);
      } while (fresh == old && System.nanoTime() < deadline);
      assertTrue(fresh != old, "a new leader is elected");
      Thread.sleep(5_000); // well past the TTL, renewals now going to the new leader
      assertTrue(alive.isAlive(), String.valueOf(alive.failure()));
      assertTrue(client.get(b("lc/a")).isPresent(), "the key outlived the leader change");
      cluster.startNode(old);
    }
    await("the lease expires under the new leader", () -> client.get(b("lc/a")).isEmpty());
  }
}
