package io.ternkv.client;

import java.util.List;

/**
 * Receives what a {@link Watch} sees. Calls come one at a time, in revision order, on a client
 * thread; a listener that blocks holds back only its own watch (the server then stops sending to
 * it, and resumes from history).
 *
 * <p>Calls are made while the watch holds its own lock, so that none starts after {@link
 * Watch#close()} returns: a listener may close its own watch, but must not wait for another
 * thread that is itself closing this watch (that thread waits for the listener).
 */
public interface WatchListener {
  /**
   * The events of one or more whole revisions, in revision order. Never called twice for a
   * revision, also across reconnects to other nodes.
   */
  void onEvents(List<WatchEvent> events);

  /**
   * Every change up to {@code revision} has been delivered. Called for watches that asked for
   * progress ({@link WatchOptions#withProgress()}) while they are idle, about once a second.
   */
  default void onProgress(long revision) {}

  /**
   * The watch ended for good and no call follows: {@link RevisionOutOfRangeException} when the
   * revision it needed was compacted; {@link InvalidArgumentException} or another {@link
   * TernException} when the server refused it. Not called after {@link Watch#close()}.
   */
  void onCancelled(TernException reason);
}
