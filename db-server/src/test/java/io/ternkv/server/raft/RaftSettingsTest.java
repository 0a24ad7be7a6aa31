package io.ternkv.server.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.server.MemberSpec;
import io.ternkv.server.ServerConfig;
import java.nio.file.Path;
import java.util.List;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RaftSettingsTest {
  @TempDir Path dir;

  ServerConfig config() {
    MemberSpec me = MemberSpec.parse("n1=127.0.0.1:7001/127.0.0.1:8001");
    return ServerConfig.builder().nodeId("n1").dataDir(dir).members(List.of(me)).build();
  }

  @Test
  void readGuaranteesAreSetExplicitly() {
    RaftProperties p = RaftSettings.of(config());
    assertEquals(RaftServerConfigKeys.Read.Option.LINEARIZABLE, RaftServerConfigKeys.Read.option(p));
    assertTrue(RaftServerConfigKeys.LeaderElection.preVote(p));
    assertEquals(false, RaftServerConfigKeys.Read.leaderLeaseEnabled(p));
  }

  @Test
  void measurementOverridesApplyButMayNotTouchTheGuarantees() {
    String harmless = "raft.server.log.appender.wait-time.min";
    assertEquals(
        TimeDuration.ZERO,
        RaftServerConfigKeys.Log.Appender.waitTimeMin(RaftSettings.of(config())));
    System.setProperty(harmless, "5ms");
    try {
      assertEquals("5ms", RaftSettings.of(config()).get(harmless));
    } finally {
      System.clearProperty(harmless);
    }
    for (String key : RaftSettings.GUARANTEE_KEYS) {
      System.setProperty(key, "x");
      try {
        IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class, () -> RaftSettings.of(config()));
        assertTrue(e.getMessage().contains(key), e.getMessage());
      } finally {
        System.clearProperty(key);
      }
    }
  }
}
