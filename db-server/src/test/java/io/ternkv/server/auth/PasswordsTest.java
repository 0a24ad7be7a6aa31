package io.ternkv.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.proto.raft.v1.StoredPassword;
import org.junit.jupiter.api.Test;

class PasswordsTest {
  @Test
  void rightPasswordVerifiesAndWrongOneDoesNot() {
    StoredPassword stored = Passwords.hash("correct horse");
    assertTrue(Passwords.verify("correct horse", stored));
    assertFalse(Passwords.verify("correct horse ", stored));
    assertFalse(Passwords.verify("", stored));
  }

  @Test
  void recordNamesAlgorithmIterationsAndARandomSalt() {
    StoredPassword a = Passwords.hash("same");
    StoredPassword b = Passwords.hash("same");
    assertEquals("PBKDF2WithHmacSHA256", a.getAlgorithm());
    assertTrue(a.getIterations() >= 100_000);
    assertEquals(16, a.getSalt().size());
    assertNotEquals(a.getSalt(), b.getSalt());
    assertNotEquals(a.getHash(), b.getHash());
    assertFalse(a.getHash().toStringUtf8().contains("same"));
  }

  @Test
  void recordWithoutSaltNeverVerifies() {
    assertFalse(Passwords.verify("x", StoredPassword.getDefaultInstance()));
  }
}
