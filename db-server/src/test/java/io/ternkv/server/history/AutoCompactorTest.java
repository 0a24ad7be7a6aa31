package io.ternkv.server.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AutoCompactorTest {
  @Test
  void compactsInStepsOfATenthOfTheRetention() {
    assertEquals(0, AutoCompactor.target(500, 0, 1_000), "history shorter than the retention");
    assertEquals(0, AutoCompactor.target(1_099, 0, 1_000), "less than one step beyond it");
    assertEquals(100, AutoCompactor.target(1_100, 0, 1_000), "one step beyond: keep exactly 1,000");
    assertEquals(0, AutoCompactor.target(1_150, 100, 1_000), "half a step since the last compaction");
    assertEquals(5_000, AutoCompactor.target(6_000, 100, 1_000));
  }

  @Test
  void smallRetentionsStepByOneRevision() {
    assertEquals(0, AutoCompactor.target(3, 0, 3));
    assertEquals(1, AutoCompactor.target(4, 0, 3));
    assertEquals(0, AutoCompactor.target(4, 1, 3));
    assertEquals(2, AutoCompactor.target(5, 1, 3));
  }
}
