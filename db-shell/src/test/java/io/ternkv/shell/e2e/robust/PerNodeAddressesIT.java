package io.ternkv.shell.e2e.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.TernClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The harness's premise, checked on real processes: every node may be given its own members list
 * (the others' Raft addresses being its own proxies) as long as the ids match, and each node then
 * dials its peers only through the addresses IT was given, also after the leaders' configuration
 * entries (which carry the leader's addresses) reached its log and after a restart of every node
 * (which reloads the configuration from disk). See {@link FaultyCluster} for the Ratis code this
 * rests on.
 *
 * <p>Each node in turn is made leader (through {@link Nemesis#forceLeader}, which itself only works
 * when requests and replies pass the proxies the harness expects) and must then send its appends
 * through its own two proxies; and no proxy may ever accept a connection while its dialer is down.
 */
class PerNodeAddressesIT {
  @Test
  void eachNodeDialsItsPeersOnlyThroughTheAddressesItWasGiven() throws Exception {
    Path dir = Evidence.newDir("PerNodeAddressesIT");
    boolean passed = false;
    try (FaultyCluster c = new FaultyCluster(dir.resolve("cluster"), 3, List.of());
        TernClient client =
            TernClient.builder().endpoints(c.endpoints()).requestTimeout(Duration.ofSeconds(30)).build()) {
      c.startAll();
      Nemesis.awaitSoleLeader(c, client, Duration.ofSeconds(60));
      for (int round = 0; round < 2; round++) {
        for (int target = 0; target < 3; target++) {
          Nemesis.forceLeader(c, client, target, 5);
          long[] before = sent(c, target);
          for (int k = 0; k < 30; k++) {
            client.put("addr/" + round + "/" + target + "/" + k, "v" + k);
          }
          long[] after = sent(c, target);
          for (int j = 0; j < 3; j++) {
            if (j != target) {
              assertTrue(after[j] > before[j], FaultyCluster.id(target) + " leads but sent nothing through its proxy to "
                  + FaultyCluster.id(j) + "; faults: " + c.faults());
            }
          }
        }
        if (round == 0) {
          // Every node now has configuration entries from all three leaders in its log; restart
          // them all so each reloads its configuration from disk.
          c.kill9All();
          c.startAll();
          Nemesis.awaitSoleLeader(c, client, Duration.ofSeconds(60));
        }
      }
      // Each node down in turn: nobody else may dial through its proxies meanwhile.
      for (int i = 0; i < 3; i++) {
        c.kill9(i);
        long index = 0;
        for (int k = 0; k < 20; k++) {
          index = client.put("down/" + i + "/" + k, "v" + k).raftIndex();
        }
        c.start(i);
        Nemesis.awaitFollowing(c, client, i, index, Duration.ofSeconds(60));
      }
      assertEquals(List.of(), c.misrouted());
      assertEquals(2 * 3 * 30 + 3 * 20, client.range(io.ternkv.client.KeyRange.prefix("addr/"), 0).kvs().size()
          + client.range(io.ternkv.client.KeyRange.prefix("down/"), 0).kvs().size());
      c.faults().forEach(System.out::println);
      passed = true;
    } finally {
      Evidence.keepOnFailure(dir, passed, "PerNodeAddressesIT");
    }
  }

  /** Bytes node {@code from} has sent to each node as a dialer (its requests). */
  private static long[] sent(FaultyCluster c, int from) {
    long[] out = new long[3];
    for (int j = 0; j < 3; j++) {
      if (j != from) {
        out[j] = c.proxy(from, j).forward.bytes();
      }
    }
    return out;
  }
}
