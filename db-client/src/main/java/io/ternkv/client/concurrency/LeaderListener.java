package io.ternkv.client.concurrency;

import io.ternkv.client.KeyValue;
import io.ternkv.client.TernException;
import java.util.Optional;

/**
 * Receives what {@link Election#observe} sees. Calls come one at a time, in revision order, on
 * client threads; do not block in them (a listener that blocks holds back only its own
 * observation).
 */
public interface LeaderListener {
  /**
   * The leader changed: called first with the leader when the observation starts, then for every
   * revision that gives the election a new leader, a new leader value ({@link Election#proclaim},
   * even with the same bytes), or no leader at all. The leader is the candidate key created first
   * under the prefix as of that revision; its own {@link Election#campaign} returns a little later.
   *
   * @param leader the leader's key, with its value and create revision; empty when no candidate is
   *     left
   */
  void onLeader(Optional<KeyValue> leader);

  /**
   * The observation ended for good and no call follows: its first read failed, or the server
   * refused its watch. Not called after {@link LeaderObserver#close()}. (A watch that falls behind
   * compaction is not an end: the observation reads the prefix again and reports the leader from
   * there, skipping changes whose history is gone.)
   */
  default void onCancelled(TernException reason) {}
}
