package io.ternkv.server.auth;

import com.google.protobuf.ByteString;
import io.ternkv.proto.raft.v1.StoredPassword;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Salted slow password hashes (PBKDF2 with HMAC-SHA256 from the JDK). The stored record names the
 * algorithm and iteration count, so either can be raised later without breaking stored hashes.
 *
 * <p>Threading: stateless, thread-safe. Hashing takes tens of milliseconds on purpose.
 */
public final class Passwords {
  /** The JDK algorithm name used for new hashes. */
  public static final String ALGORITHM = "PBKDF2WithHmacSHA256";

  /** Iterations for new hashes. */
  public static final int ITERATIONS = 120_000;

  /** Bytes of random salt per hash. */
  public static final int SALT_BYTES = 16;

  private static final int HASH_BITS = 256;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Passwords() {}

  /** Hashes a password with a fresh random salt. */
  public static StoredPassword hash(String password) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    return StoredPassword.newBuilder()
        .setAlgorithm(ALGORITHM)
        .setIterations(ITERATIONS)
        .setSalt(ByteString.copyFrom(salt))
        .setHash(ByteString.copyFrom(derive(ALGORITHM, password, salt, ITERATIONS)))
        .build();
  }

  /** Whether {@code password} is the one {@code stored} was made from (constant-time compare). */
  public static boolean verify(String password, StoredPassword stored) {
    if (stored.getIterations() <= 0 || stored.getSalt().isEmpty()) {
      return false;
    }
    byte[] actual =
        derive(stored.getAlgorithm(), password, stored.getSalt().toByteArray(), stored.getIterations());
    return MessageDigest.isEqual(actual, stored.getHash().toByteArray());
  }

  private static byte[] derive(String algorithm, String password, byte[] salt, int iterations) {
    char[] chars = password.toCharArray();
    PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, HASH_BITS);
    try {
      return SecretKeyFactory.getInstance(algorithm).generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("password hashing with " + algorithm + " is not available", e);
    } finally {
      spec.clearPassword();
      Arrays.fill(chars, '\0');
    }
  }
}
