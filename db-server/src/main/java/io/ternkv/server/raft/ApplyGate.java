package io.ternkv.server.raft;

/**
 * Lets a fault test hold a node's apply thread, so the node falls behind its log the way a slow
 * disk or a long pause would make it. Open by default; costs one volatile read per entry.
 *
 * <p>Threading: thread-safe.
 */
final class ApplyGate {
  private volatile boolean held;

  synchronized void hold() {
    held = true;
  }

  synchronized void release() {
    held = false;
    notifyAll();
  }

  /** Blocks the calling (apply) thread while the gate is held. */
  void pass() {
    if (!held) {
      return;
    }
    synchronized (this) {
      while (held) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
