package io.ternkv.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final LoginThrottle throttle = new LoginThrottle(now::get);

  @Test
  void delayDoublesPerFailureUpToTheCap() {
    assertEquals(0, throttle.waitMillis("ada", "10.0.0.1"));
    throttle.failed("ada", "10.0.0.1");
    assertEquals(100, throttle.waitMillis("ada", "10.0.0.1"));
    throttle.failed("ada", "10.0.0.1");
    assertEquals(200, throttle.waitMillis("ada", "10.0.0.1"));
    for (int i = 0; i < 30; i++) {
      throttle.failed("ada", "10.0.0.1");
    }
    assertEquals(LoginThrottle.MAX_DELAY_MILLIS, throttle.waitMillis("ada", "10.0.0.1"));
    now.addAndGet(LoginThrottle.MAX_DELAY_MILLIS);
    assertEquals(0, throttle.waitMillis("ada", "10.0.0.1"));
  }

  @Test
  void otherUserOrOtherAddressIsNotSlowedAndSuccessClears() {
    throttle.failed("ada", "10.0.0.1");
    assertEquals(0, throttle.waitMillis("bob", "10.0.0.1"));
    assertEquals(0, throttle.waitMillis("ada", "10.0.0.2"));
    throttle.succeeded("ada", "10.0.0.1");
    assertEquals(0, throttle.waitMillis("ada", "10.0.0.1"));
  }
}
