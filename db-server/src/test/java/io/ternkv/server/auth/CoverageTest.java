package io.ternkv.server.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoverageTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private final List<KeySpan> appPrefix = List.of(KeySpan.prefix(b("app/")));

  @Test
  void prefixCoversItsKeysAndNotTheKeysJustOutside() {
    assertTrue(Coverage.covers(appPrefix, KeySpan.key(b("app/"))));
    assertTrue(Coverage.covers(appPrefix, KeySpan.key(b("app/x"))));
    assertTrue(Coverage.covers(appPrefix, KeySpan.key(b("app/\u007f\u007f"))));
    assertFalse(Coverage.covers(appPrefix, KeySpan.key(b("app")))); // just before
    assertFalse(Coverage.covers(appPrefix, KeySpan.key(b("app0")))); // just after ('/' + 1)
    assertFalse(Coverage.covers(appPrefix, KeySpan.key(b("apo/"))));
  }

  @Test
  void rangeEndIsExclusive() {
    List<KeySpan> ab = List.of(new KeySpan(b("a"), b("b")));
    assertTrue(Coverage.covers(ab, new KeySpan(b("a"), b("b"))));
    assertTrue(Coverage.covers(ab, KeySpan.key(b("az"))));
    assertFalse(Coverage.covers(ab, KeySpan.key(b("b"))));
    assertFalse(Coverage.covers(ab, new KeySpan(b("a"), b("b\0"))));
    assertFalse(Coverage.covers(ab, new KeySpan(b("a"), null)));
  }

  @Test
  void requestedRangeMustBeCoveredWhollyPossiblyByTwoGrants() {
    assertTrue(Coverage.covers(appPrefix, KeySpan.prefix(b("app/"))));
    assertTrue(Coverage.covers(appPrefix, KeySpan.prefix(b("app/sub/"))));
    assertFalse(Coverage.covers(appPrefix, KeySpan.prefix(b("app"))));
    assertFalse(Coverage.covers(appPrefix, new KeySpan(new byte[0], null)));
    List<KeySpan> two = List.of(new KeySpan(b("c"), b("e")), new KeySpan(b("a"), b("c")));
    assertTrue(Coverage.covers(two, new KeySpan(b("a"), b("e"))));
    List<KeySpan> gap = List.of(new KeySpan(b("a"), b("c")), new KeySpan(b("c\0"), b("e")));
    assertFalse(Coverage.covers(gap, new KeySpan(b("a"), b("e"))));
    assertTrue(Coverage.covers(List.of(new KeySpan(new byte[0], null)), new KeySpan(b("x"), null)));
    assertFalse(Coverage.covers(List.of(), KeySpan.key(b("x"))));
  }

  @Test
  void prefixOfHighBytesRunsToTheEnd() {
    byte[] ff = {(byte) 0xFF};
    List<KeySpan> grant = List.of(KeySpan.prefix(ff));
    assertTrue(Coverage.covers(grant, KeySpan.key(new byte[] {(byte) 0xFF, (byte) 0xFF})));
    assertFalse(Coverage.covers(grant, KeySpan.key(new byte[] {(byte) 0xFE})));
  }
}
