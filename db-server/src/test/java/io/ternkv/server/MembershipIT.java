package io.ternkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.ClusterStatus;
import io.ternkv.client.ErrorCode;
import io.ternkv.client.FollowerProgress;
import io.ternkv.client.KeyRange;
import io.ternkv.client.Member;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.Role;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Membership changes on an in-process cluster, through the client: a join that needs a snapshot,
 * leadership moved by request and by a clean stop, and every unsafe request refused with its
 * error. The Ratis behaviour they rest on (listeners staged then promoted, transfer with equal
 * priorities, a removed leader handing over first) is what these tests pin down.
 */
class MembershipIT {
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  static TernClient client(List<String> endpoints) {
    return TernClient.builder().endpoints(endpoints).requestTimeout(TIMEOUT).build();
  }

  /** A node started with join: no group of its own, waiting to be added. */
  static TernServer startJoining(LocalCluster cluster, String id, UnaryOperator<ServerConfig.Builder> tweak)
      throws IOException {
    int[] ports = LocalCluster.freePorts(2);
    MemberSpec self =
        new MemberSpec(id, new HostPort("127.0.0.1", ports[0]), new HostPort("127.0.0.1", ports[1]));
    return TernServer.start(
        tweak
            .apply(
                ServerConfig.builder()
                    .nodeId(id)
                    .members(List.of(self))
                    .join(true)
                    .dataDir(cluster.dataDir().resolve(id)))
            .build());
  }

  static MemberSpec self(TernServer node) {
    return node.config().members().get(0);
  }

  static List<Member> add(TernClient client, TernServer node) {
    MemberSpec m = self(node);
    return client.addMember(m.id(), m.clientAddress().toString(), m.raftAddress().toString(), TIMEOUT);
  }

  static Optional<Member> member(TernClient client, String id) {
    return client.members().stream().filter(m -> m.id().equals(id)).findFirst();
  }

  static void assertError(ErrorCode code, String fragment, Executable call) {
    TernException e = assertThrows(TernException.class, call);
    assertEquals(code, e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
  }

  static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    ReplicationIT.await(what, condition);
  }

  @Test
  void joiningNodeCatchesUpFromSnapshotVotesRestartsLeadsAndLeaves() throws Exception {
    UnaryOperator<ServerConfig.Builder> smallLog = b -> b.snapshotThreshold(40).logSegmentBytes(4096);
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).configure(smallLog).start();
        TernClient client = client(cluster.endpoints())) {
      for (int i = 0; i < 300; i++) {
        client.put("k/" + i, "v" + i);
      }
      TernServer n4 = startJoining(cluster, "n4", smallLog);
      try (TernClient atN4 = client(List.of(n4.clientAddress().toString()))) {
        assertEquals(Role.NOT_MEMBER, atN4.status(n4.clientAddress().toString()).role());
        assertTrue(member(client, "n4").isEmpty());

        List<Member> members = add(client, n4);
        assertEquals(List.of("n1", "n2", "n3", "n4"), members.stream().map(Member::id).sorted().toList());
        assertTrue(members.stream().allMatch(Member::voter), members.toString());

        ClusterStatus s4 = atN4.status(n4.clientAddress().toString());
        assertEquals(Role.FOLLOWER, s4.role());
        // The leader's log was purged far past its start: n4 could only catch up from a snapshot.
        assertTrue(s4.snapshotsInstalled() >= 1, s4.toString());
        // Promoted only once it had applied everything committed when it joined: all 300 keys.
        assertEquals(300, atN4.range(KeyRange.prefix("k/"), 0, ReadConsistency.STALE).kvs().size());

        String leaderEndpoint = cluster.endpoint(cluster.awaitLeader(TIMEOUT));
        ClusterStatus leader = client.status(leaderEndpoint);
        FollowerProgress p4 = leader.follower("n4").orElseThrow(() -> new AssertionError(leader.toString()));
        assertTrue(p4.voter() && p4.matchIndex() > 0, p4.toString());
        assertTrue(leader.dataBytes() > 0 && !leader.uptime().isZero(), leader.toString());

        // Restarted with the same configuration (join still set), it is a voter from its log.
        n4.close();
        client.put("while/n4/down", "1");
        n4 = TernServer.start(n4.config());
        TernServer restarted = n4;
        await(
            "n4 is back as a follower with the write it missed",
            () -> {
              try {
                return atN4.status(restarted.clientAddress().toString()).role() == Role.FOLLOWER
                    && atN4.get("while/n4/down", ReadConsistency.STALE).isPresent();
              } catch (TernException e) {
                return false; // still starting
              }
            });

        assertEquals("n4", client.transferLeadership("n4"));
        assertEquals(Role.LEADER, atN4.status(n4.clientAddress().toString()).role());
        client.put("after/transfer", "1");

        // Removing the leader hands leadership over first; the request completes on the successor.
        List<Member> left = client.removeMember("n4");
        assertEquals(List.of("n1", "n2", "n3"), left.stream().map(Member::id).sorted().toList());
        int newLeader = cluster.awaitLeader(TIMEOUT);
        client.put("after/removal", "1");
        assertEquals("1", client.get("after/removal").orElseThrow().valueUtf8());
        assertNotEquals("n4", cluster.config(newLeader).nodeId());
      } finally {
        n4.close();
      }
    }
  }

  @Test
  void unsafeMembershipRequestsAreRefusedWithClearErrors() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).start();
        TernClient client = client(cluster.endpoints())) {
      client.put("a", "1");
      String n2client = cluster.config(1).clientAddress().toString();
      int[] free = LocalCluster.freePorts(2);
      String freeClient = "127.0.0.1:" + free[0];
      String freeRaft = "127.0.0.1:" + free[1];

      // Malformed requests.
      assertError(ErrorCode.INVALID_ARGUMENT, "node id", () -> client.addMember("bad id", freeClient, freeRaft, TIMEOUT));
      assertError(ErrorCode.INVALID_ARGUMENT, "host:port", () -> client.addMember("n4", "nohost", freeRaft, TIMEOUT));
      assertError(ErrorCode.INVALID_ARGUMENT, "not 0", () -> client.addMember("n4", "127.0.0.1:0", freeRaft, TIMEOUT));
      assertError(ErrorCode.INVALID_ARGUMENT, "different", () -> client.addMember("n4", freeClient, freeClient, TIMEOUT));
      assertError(ErrorCode.INVALID_ARGUMENT, "node id", () -> client.removeMember("n/2"));
      assertError(ErrorCode.INVALID_ARGUMENT, "node id", () -> client.transferLeadership(""));

      // Conflicts with the configuration.
      assertError(ErrorCode.FAILED_PRECONDITION, "n2 is already a voter", () -> client.addMember("n2", freeClient, freeRaft, TIMEOUT));
      assertError(ErrorCode.FAILED_PRECONDITION, "already used by n2", () -> client.addMember("n4", n2client, freeRaft, TIMEOUT));
      assertError(ErrorCode.FAILED_PRECONDITION, "n9 is not a member", () -> client.removeMember("n9"));
      assertError(ErrorCode.FAILED_PRECONDITION, "n9 is not a member", () -> client.transferLeadership("n9"));

      // A join held in its catch-up (n4 does not apply): every other change waits its turn.
      TernServer n4 = startJoining(cluster, "n4", b -> b);
      TernServer n5 = startJoining(cluster, "n5", b -> b);
      try {
        n4.holdApply();
        int leader = cluster.awaitLeader(TIMEOUT);
        // Pinned to the leader, so that once it is killed below the join is not retried elsewhere.
        TernClient pinned = client(List.of(cluster.endpoint(leader)));
        CompletableFuture<List<Member>> joining =
            pinned.addMemberAsync("n4", self(n4).clientAddress().toString(), self(n4).raftAddress().toString(), TIMEOUT);
        await("n4 is a non-voting member", () -> member(client, "n4").map(m -> !m.voter()).orElse(false));
        assertError(ErrorCode.FAILED_PRECONDITION, "in progress (adding n4)", () -> add(client, n5));
        assertError(ErrorCode.FAILED_PRECONDITION, "in progress (adding n4)", () -> client.removeMember("n2"));
        assertError(ErrorCode.FAILED_PRECONDITION, "in progress (adding n4)", () -> client.transferLeadership("n2"));
        assertTrue(!joining.isDone());

        // The leader dies mid-join: n4 stays non-voting, and the new leader refuses other changes.
        cluster.killNode(leader);
        pinned.close();
        cluster.awaitLeader(TIMEOUT);
        assertError(ErrorCode.FAILED_PRECONDITION, "n4 has not finished joining", () -> add(client, n5));
        String other = cluster.config((leader + 1) % 3).nodeId();
        assertError(ErrorCode.FAILED_PRECONDITION, "n4 has not finished joining", () -> client.removeMember(other));
        assertError(ErrorCode.FAILED_PRECONDITION, "n4 is not a voter yet", () -> client.transferLeadership("n4"));
        assertError(
            ErrorCode.FAILED_PRECONDITION,
            "n4 is already joining",
            () -> client.addMember("n4", freeClient, freeRaft, TIMEOUT));

        // Sending the same join again finishes it on the new leader.
        n4.releaseApply();
        assertTrue(add(client, n4).stream().anyMatch(m -> m.id().equals("n4") && m.voter()));
        client.put("b", "2");
        assertEquals("2", client.get("b").orElseThrow().valueUtf8());
      } finally {
        n4.close();
        n5.close();
      }
    }
  }

  @Test
  void theLastVoterCannotBeRemoved() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).start();
        TernClient client = client(cluster.endpoints())) {
      client.put("a", "1");
      assertError(ErrorCode.FAILED_PRECONDITION, "n1 is the last voter", () -> client.removeMember("n1"));
      assertEquals("1", client.get("a").orElseThrow().valueUtf8());
    }
  }

  @Test
  void stoppingTheLeaderHandsLeadershipOverFirstAndLosesNoWrite() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(3).start();
        TernClient client = client(cluster.endpoints())) {
      client.put("warm", "up");
      int leader = cluster.awaitLeader(TIMEOUT);
      TernServer stopping = cluster.node(leader);
      AtomicBoolean writing = new AtomicBoolean(true);
      List<String> acknowledged = new CopyOnWriteArrayList<>();
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      Thread writer =
          new Thread(
              () -> {
                for (int i = 0; writing.get() || i < 50; i++) {
                  try {
                    client.put("w/" + i, "v" + i);
                    acknowledged.add("w/" + i);
                  } catch (RuntimeException e) {
                    failures.add(e);
                  }
                }
              });
      writer.start();
      await("some writes went through", () -> acknowledged.size() >= 20);
      cluster.stopNode(leader);
      writing.set(false);
      writer.join(TIMEOUT.toMillis());

      String successor = stopping.leadershipHandedTo().orElseThrow(() -> new AssertionError("no hand-over"));
      assertEquals(successor, cluster.config(cluster.awaitLeader(TIMEOUT)).nodeId());
      assertEquals(List.of(), failures, "every write finished (retried on the new leader)");
      for (String key : acknowledged) {
        assertEquals("v" + key.substring(2), client.get(key).orElseThrow().valueUtf8(), key);
      }
    }
  }
}
