package io.ternkv.server.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ternkv.server.raft.NodeStatus;
import org.junit.jupiter.api.Test;

class HealthReporterTest {
  static NodeStatus status(String leader, long commit, long applied) {
    return new NodeStatus("FOLLOWER", 3, leader, null, commit, applied, -1, "g", 0, commit, java.util.List.of(), 0, 0);
  }

  @Test
  void noLeaderKnownIsNotServing() {
    assertEquals("no leader known", HealthReporter.notServingReason(status(null, 10, 10), 10));
  }

  @Test
  void caughtUpWithALeaderIsServing() {
    assertNull(HealthReporter.notServingReason(status("n1", 10, 10), 10));
  }

  @Test
  void entriesCommittedSinceThePreviousCheckMayStillBeApplying() {
    assertNull(HealthReporter.notServingReason(status("n1", 12, 10), 10));
  }

  @Test
  void stillBehindWhatWasCommittedAtThePreviousCheckIsNotServing() {
    assertEquals(
        "applied index 9 is behind commit index 10",
        HealthReporter.notServingReason(status("n1", 12, 9), 10));
  }

  @Test
  void theFirstCheckComparesWithTheCurrentCommitIndex() {
    assertEquals(
        "applied index 9 is behind commit index 12",
        HealthReporter.notServingReason(status("n1", 12, 9), Long.MAX_VALUE));
    assertNull(HealthReporter.notServingReason(status("n1", 12, 12), Long.MAX_VALUE));
  }
}
