package io.ternkv.shell.e2e.robust;

import io.ternkv.client.ClusterStatus;
import io.ternkv.client.Role;
import io.ternkv.client.TernClient;
import java.time.Duration;
import java.util.Set;

/** Fault moves built from {@link FaultyCluster}'s primitives. */
final class Nemesis {
  private Nemesis() {}

  /** Nodes that say they lead (running, unpaused nodes only). */
  static int leaders(FaultyCluster c, TernClient client, int[] first) {
    int count = 0;
    first[0] = -1;
    for (int i = 0; i < c.size(); i++) {
      if (!c.running(i)) {
        continue;
      }
      try {
        ClusterStatus s = client.status(c.endpoint(i));
        if (s.role() == Role.LEADER) {
          if (count++ == 0) {
            first[0] = i;
          }
        }
      } catch (RuntimeException e) {
        // not answering
      }
    }
    return count;
  }

  /** Waits until exactly one node says it leads and returns it (bounded). */
  static int awaitSoleLeader(FaultyCluster c, TernClient client, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int[] first = new int[1];
    while (true) {
      if (leaders(c, client, first) == 1) {
        return first[0];
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no single leader within " + timeout + "; logs in " + c.dir());
      }
      Thread.sleep(100);
    }
  }

  /**
   * Waits until node {@code i} answers and knows a leader, and for {@code caughtUpTo} to be applied
   * on it (bounded).
   */
  static void awaitFollowing(FaultyCluster c, TernClient client, int i, long caughtUpTo, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        ClusterStatus s = client.status(c.endpoint(i));
        if (s.leaderId().isPresent() && s.appliedIndex() >= caughtUpTo) {
          return;
        }
      } catch (RuntimeException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(FaultyCluster.id(i) + " did not rejoin within " + timeout + "; logs in " + c.dir());
      }
      Thread.sleep(100);
    }
  }

  /**
   * Makes node {@code target} the leader of a 3-node cluster through the network alone: the leader
   * is cut off, and the third node's requests (not its replies) are held back, so only the target
   * can gather a majority (the third node's vote). Needs per-pair proxies to work at all: the
   * third node's requests are told apart from its replies only by which proxy they pass. Heals
   * before returning. Up to {@code attempts} tries (the target may lack an entry the third node
   * has, and then cannot win that round).
   */
  static void forceLeader(FaultyCluster c, TernClient client, int target, int attempts)
      throws InterruptedException {
    if (c.size() != 3) {
      throw new IllegalArgumentException("forceLeader needs 3 nodes");
    }
    for (int attempt = 0; attempt < attempts; attempt++) {
      int leader = awaitSoleLeader(c, client, Duration.ofSeconds(30));
      if (leader == target) {
        return;
      }
      int third = 3 - leader - target;
      c.note("force " + FaultyCluster.id(target) + " to lead (attempt " + (attempt + 1) + ")");
      c.proxy(third, target).forward.block();
      c.proxy(third, leader).forward.block();
      c.note("hold back " + FaultyCluster.id(third) + "'s requests (not its replies)");
      c.partition(Set.of(leader));
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      boolean won = false;
      while (!won && System.nanoTime() < deadline) {
        try {
          won = client.status(c.endpoint(target)).role() == Role.LEADER;
        } catch (RuntimeException e) {
          // retry until the deadline
        }
        Thread.sleep(50);
      }
      c.heal();
      if (won && awaitSoleLeader(c, client, Duration.ofSeconds(30)) == target) {
        return;
      }
    }
    throw new AssertionError("could not make " + FaultyCluster.id(target) + " lead; logs in " + c.dir());
  }
}
