package io.ternkv.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Bearer tokens: {@code base64url(user|epoch|expiresAtMillis).base64url(HMAC-SHA256)}, signed
 * with a key derived from the replicated auth secret, so any node verifies a token any node
 * issued. The epoch is the user's password epoch: a new password or a deleted user makes older
 * tokens invalid.
 *
 * <p>Threading: immutable, thread-safe.
 */
public final class Tokens {
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
  private static final byte[] KEY_LABEL = "ternkv token signing key v1".getBytes(StandardCharsets.UTF_8);

  /** What a valid token says. */
  public record Claims(String user, long epoch, long expiresAtMillis) {}

  private final byte[] key;

  /** Tokens signed with a key derived from {@code secret}. */
  public Tokens(byte[] secret) {
    this.key = hmac(secret, KEY_LABEL);
  }

  /** Signs a token for {@code user} at {@code epoch}, valid until {@code expiresAtMillis}. */
  public String sign(String user, long epoch, long expiresAtMillis) {
    byte[] payload = (user + "|" + epoch + "|" + expiresAtMillis).getBytes(StandardCharsets.UTF_8);
    return ENCODER.encodeToString(payload) + "." + ENCODER.encodeToString(hmac(key, payload));
  }

  /**
   * The claims of a token signed with this key and not expired at {@code nowMillis}; empty for
   * anything else (malformed, tampered, other key, expired).
   */
  public Optional<Claims> verify(String token, long nowMillis) {
    int dot = token.indexOf('.');
    if (dot <= 0 || dot != token.lastIndexOf('.')) {
      return Optional.empty();
    }
    byte[] payload;
    byte[] signature;
    try {
      payload = DECODER.decode(token.substring(0, dot));
      signature = DECODER.decode(token.substring(dot + 1));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (!MessageDigest.isEqual(hmac(key, payload), signature)) {
      return Optional.empty();
    }
    String[] parts = new String(payload, StandardCharsets.UTF_8).split("\\|", -1);
    if (parts.length != 3) {
      return Optional.empty();
    }
    try {
      Claims claims = new Claims(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2]));
      return claims.expiresAtMillis() > nowMillis ? Optional.of(claims) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
