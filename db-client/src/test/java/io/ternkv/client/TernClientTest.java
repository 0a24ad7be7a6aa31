package io.ternkv.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.proto.v1.ReadConsistency;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TernClientTest {
  static TernClient client(String... endpoints) {
    return TernClient.builder()
        .endpoints(endpoints)
        .requestTimeout(Duration.ofSeconds(3))
        .retryBackoff(Duration.ofMillis(5), Duration.ofMillis(50))
        .build();
  }

  @Test
  void builderNamesTheBadSetting() {
    assertMessage("endpoints", () -> TernClient.builder().build());
    assertMessage("endpoints", () -> TernClient.builder().endpoints("no-port").build());
    assertMessage("endpoints", () -> TernClient.builder().endpoints("h:99999").build());
    assertMessage("requestTimeout", () -> TernClient.builder().endpoints("h:1").requestTimeout(Duration.ZERO).build());
    assertMessage("retryBackoff", () -> TernClient.builder().endpoints("h:1").retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build());
  }

  static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
    assertTrue(ex.getMessage().contains(part), ex.getMessage());
  }

  @Test
  void followsTheLeaderHintAndStaysThere() throws Exception {
    try (FakeNode follower = new FakeNode(); FakeNode leader = new FakeNode()) {
      follower.putError = r -> FakeNode.notLeader(leader.address());
      try (TernClient c = client(follower.address())) {
        c.put("k", "v");
        c.put("k", "w");
        assertEquals(1, follower.puts.size(), "second put went straight to the leader");
        assertEquals(2, leader.puts.size());
        assertEquals(leader.address(), c.currentEndpoint());
      }
    }
  }

  @Test
  void retryOfOneWriteReusesItsWriteIdAndNewWritesGetNewOnes() throws Exception {
    try (FakeNode node = new FakeNode()) {
      AtomicInteger calls = new AtomicInteger();
      node.putError = r -> calls.incrementAndGet() == 1 ? FakeNode.status(Status.UNAVAILABLE) : null;
      try (TernClient c = client(node.address())) {
        c.put("k", "v");
        c.put("k", "w");
      }
      assertEquals(3, node.puts.size());
      PutRequest first = node.puts.get(0);
      PutRequest retry = node.puts.get(1);
      PutRequest next = node.puts.get(2);
      assertEquals(first.getWriteId(), retry.getWriteId());
      assertEquals(16, first.getWriteId().getClientId().size());
      assertEquals(first.getWriteId().getClientId(), next.getWriteId().getClientId());
      assertNotEquals(first.getWriteId().getSequence(), next.getWriteId().getSequence());
    }
  }

  @Test
  void invalidArgumentFailsAtOnceWithoutRetry() throws Exception {
    try (FakeNode node = new FakeNode()) {
      node.putError = r -> FakeNode.status(Status.INVALID_ARGUMENT.withDescription("key must not be empty"));
      try (TernClient c = client(node.address())) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> c.put("", "v"));
        assertEquals("key must not be empty", e.getMessage());
        assertTrue(!e.isRetriable());
      }
      assertEquals(1, node.puts.size());
    }
  }

  @Test
  void unreachableClusterTimesOutNamingTheEndpoints() throws Exception {
    try (FakeNode a = new FakeNode(); FakeNode b = new FakeNode()) {
      a.putError = r -> FakeNode.status(Status.UNAVAILABLE);
      b.putError = r -> FakeNode.notLeader("");
      try (TernClient c =
          TernClient.builder()
              .endpoints(a.address(), b.address())
              .requestTimeout(Duration.ofMillis(500))
              .retryBackoff(Duration.ofMillis(5), Duration.ofMillis(20))
              .build()) {
        long start = System.nanoTime();
        RequestTimeoutException e = assertThrows(RequestTimeoutException.class, () -> c.put("k", "v"));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < 3000, "gave up after " + ms + " ms");
        assertTrue(e.getMessage().contains("no leader reachable at " + a.address()), e.getMessage());
        assertTrue(e.isRetriable());
      }
      assertTrue(a.puts.size() >= 2 && b.puts.size() >= 2, "tried both nodes more than once");
    }
  }

  @Test
  void sessionReadsCarryTheHighestIndexSeen() throws Exception {
    try (FakeNode node = new FakeNode()) {
      try (TernClient c = client(node.address())) {
        node.raftIndex = 42;
        c.put("k", "v");
        node.raftIndex = 40;
        c.get("k", io.ternkv.client.ReadConsistency.STALE);
        assertEquals(42, c.lastSeenIndex(), "never goes back");
        c.get("k", io.ternkv.client.ReadConsistency.SESSION);
        c.get(utf8("k"), ReadOptions.stale(Duration.ofMillis(250)));
      }
      assertEquals(ReadConsistency.READ_STALE, node.gets.get(0).getConsistency());
      assertEquals(0, node.gets.get(0).getMinIndex());
      assertEquals(ReadConsistency.READ_SESSION, node.gets.get(1).getConsistency());
      assertEquals(42, node.gets.get(1).getMinIndex());
      assertEquals(250, node.gets.get(2).getMaxStalenessMs());
    }
  }

  @Test
  void keyRangesMapToRequests() throws Exception {
    try (FakeNode node = new FakeNode(); TernClient c = client(node.address())) {
      c.range(KeyRange.prefix("app/"), 10);
      c.range(KeyRange.between(utf8("a"), utf8("m")), 0, io.ternkv.client.ReadConsistency.LEASE);
      c.range(KeyRange.all(), 5);
      assertEquals("app/", node.ranges.get(0).getPrefix().toStringUtf8());
      assertEquals(10, node.ranges.get(0).getLimit());
      assertEquals("a", node.ranges.get(1).getStart().toStringUtf8());
      assertEquals("m", node.ranges.get(1).getEnd().toStringUtf8());
      assertEquals(ReadConsistency.READ_LEASE, node.ranges.get(1).getConsistency());
      assertTrue(node.ranges.get(2).getStart().isEmpty() && node.ranges.get(2).getPrefix().isEmpty());
      assertThrows(IllegalArgumentException.class, () -> KeyRange.prefix(""));
      KeyRange rest = KeyRange.prefix("app/").after(utf8("app/x"));
      assertEquals("app/x\0", new String(rest.start(), StandardCharsets.UTF_8));
      assertEquals("app0", new String(rest.end(), StandardCharsets.UTF_8));
      KeyRange tail = KeyRange.prefix(new byte[] {(byte) 0xff}).after(new byte[] {(byte) 0xff, 1});
      assertEquals(0, tail.end().length, "no key is above every 0xff... key: unbounded");
    }
  }

  @Test
  void closedClientRefusesCalls() throws Exception {
    try (FakeNode node = new FakeNode()) {
      TernClient c = client(node.address());
      c.close();
      assertThrows(IllegalStateException.class, () -> c.put("k", "v"));
    }
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
