package io.ternkv.shell.e2e.robust;

import java.time.Duration;

/**
 * Settings of the robustness suite. The normal build runs every scenario briefly; {@code -Probustness
 * -Drobustness.duration=PT10M} runs each for that long. {@code -Drobustness.seed=N} replays a fault
 * choice sequence (timing still differs from run to run).
 */
final class Robustness {
  private Robustness() {}

  /** How long each fault scenario runs. */
  static Duration duration(Duration shortDefault) {
    String v = System.getProperty("robustness.duration", "");
    return v.isBlank() ? shortDefault : Duration.parse(v);
  }

  /** The seed for fault choices; printed by every scenario. */
  static long seed() {
    String v = System.getProperty("robustness.seed", "");
    return v.isBlank() ? System.nanoTime() : Long.parseLong(v);
  }
}
