package io.ternkv.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A node that sheds load (RESOURCE_EXHAUSTED) is asked again after growing pauses, not in a tight loop. */
class OverloadRetryTest {
  @Test
  void shedCallIsRetriedOnTheSameNodeAfterPauses() throws Exception {
    try (FakeNode leader = new FakeNode(); FakeNode follower = new FakeNode()) {
      AtomicInteger calls = new AtomicInteger();
      leader.putError =
          r -> calls.incrementAndGet() <= 3 ? FakeNode.status(Status.RESOURCE_EXHAUSTED.withDescription("busy")) : null;
      follower.putError = r -> FakeNode.notLeader(leader.address());
      try (TernClient c =
          TernClient.builder()
              .endpoints(leader.address(), follower.address())
              .requestTimeout(Duration.ofSeconds(10))
              .retryBackoff(Duration.ofMillis(40), Duration.ofMillis(400))
              .build()) {
        long start = System.nanoTime();
        c.put("k", "v");
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(4, leader.puts.size(), "three refusals, then served");
        assertEquals(0, follower.puts.size(), "the overloaded leader is asked again, not a follower");
        // Pauses of at least 20, 40 and 80 ms (each half to all of 40 ms doubling).
        assertTrue(elapsedMs >= 140, "retries paused, took only " + elapsedMs + " ms");
        assertEquals(leader.address(), c.currentEndpoint());
      }
    }
  }

  @Test
  void nodeThatKeepsSheddingFailsAtTheTimeoutAsResourceExhausted() throws Exception {
    try (FakeNode node = new FakeNode()) {
      node.putError = r -> FakeNode.status(Status.RESOURCE_EXHAUSTED.withDescription("busy"));
      try (TernClient c =
          TernClient.builder()
              .endpoints(node.address())
              .requestTimeout(Duration.ofSeconds(1))
              .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
              .build()) {
        RequestTimeoutException e = assertThrows(RequestTimeoutException.class, () -> c.put("k", "v"));
        assertTrue(e.getCause() instanceof ResourceExhaustedException, String.valueOf(e.getCause()));
      }
      // About 1 s of pauses of 10-200 ms: a handful of attempts, never hundreds.
      assertTrue(node.puts.size() <= 20, node.puts.size() + " attempts in 1 s");
    }
  }
}
