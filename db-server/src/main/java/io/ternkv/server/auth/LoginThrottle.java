package io.ternkv.server.auth;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Slows down password guessing: after a failed login for a user from a peer address, the next
 * attempt for that pair is refused without checking the password until a delay has passed, which
 * doubles with each further failure up to {@link #MAX_DELAY_MILLIS}. A success clears the pair.
 * Kept in memory on each node; a node restart forgets it.
 *
 * <p>Threading: thread-safe.
 */
public final class LoginThrottle {
  /** Delay after the first failure. */
  public static final long BASE_DELAY_MILLIS = 100;
  /** The longest delay. */
  public static final long MAX_DELAY_MILLIS = 5_000;
  private static final int MAX_ENTRIES = 10_000;

  private record Failures(int count, long notBeforeMillis) {}

  private final Map<String, Failures> failures = new ConcurrentHashMap<>();
  private final LongSupplier clock;

  /** A throttle on the system clock. */
  public LoginThrottle() {
    this(System::currentTimeMillis);
  }

  /** A throttle on a given clock (milliseconds), for tests. */
  public LoginThrottle(LongSupplier clockMillis) {
    this.clock = clockMillis;
  }

  /** Milliseconds to wait before {@code user} may try again from {@code peer}; 0 when now. */
  public long waitMillis(String user, String peer) {
    Failures f = failures.get(key(user, peer));
    return f == null ? 0 : Math.max(0, f.notBeforeMillis() - clock.getAsLong());
  }

  /** Records a failed attempt. */
  public void failed(String user, String peer) {
    long now = clock.getAsLong();
    if (failures.size() >= MAX_ENTRIES) {
      for (Iterator<Failures> it = failures.values().iterator(); it.hasNext(); ) {
        if (it.next().notBeforeMillis() + MAX_DELAY_MILLIS < now) {
          it.remove();
        }
      }
    }
    failures.compute(
        key(user, peer),
        (k, f) -> {
          int count = f == null ? 1 : f.count() + 1;
          long delay = BASE_DELAY_MILLIS << Math.min(count - 1, 20);
          return new Failures(count, now + Math.min(delay, MAX_DELAY_MILLIS));
        });
  }

  /** Records a successful attempt. */
  public void succeeded(String user, String peer) {
    failures.remove(key(user, peer));
  }

  private static String key(String user, String peer) {
    return user + "\n" + peer;
  }
}
