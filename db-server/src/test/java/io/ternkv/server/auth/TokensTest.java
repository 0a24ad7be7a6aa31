package io.ternkv.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TokensTest {
  private final Tokens tokens = new Tokens("secret one".getBytes(StandardCharsets.UTF_8));

  @Test
  void signedTokenVerifiesUntilItExpires() {
    String t = tokens.sign("ada", 7, 10_000);
    Tokens.Claims c = tokens.verify(t, 9_999).orElseThrow();
    assertEquals(new Tokens.Claims("ada", 7, 10_000), c);
    assertTrue(tokens.verify(t, 10_000).isEmpty());
  }

  @Test
  void anotherNodeWithTheSameSecretAcceptsIt() {
    String t = tokens.sign("ada", 7, 10_000);
    assertTrue(new Tokens("secret one".getBytes(StandardCharsets.UTF_8)).verify(t, 0).isPresent());
    assertTrue(new Tokens("secret two".getBytes(StandardCharsets.UTF_8)).verify(t, 0).isEmpty());
  }

  @Test
  void tamperedPayloadOrSignatureIsRefused() {
    String t = tokens.sign("ada", 7, 10_000);
    String forged =
        Base64.getUrlEncoder().withoutPadding().encodeToString("root|7|10000".getBytes(StandardCharsets.UTF_8))
            + t.substring(t.indexOf('.'));
    assertTrue(tokens.verify(forged, 0).isEmpty());
    char last = t.charAt(t.length() - 1);
    assertTrue(tokens.verify(t.substring(0, t.length() - 1) + (last == 'A' ? 'B' : 'A'), 0).isEmpty());
    assertTrue(tokens.verify("garbage", 0).isEmpty());
    assertTrue(tokens.verify("a.b.c", 0).isEmpty());
    assertTrue(tokens.verify("", 0).isEmpty());
  }
}
