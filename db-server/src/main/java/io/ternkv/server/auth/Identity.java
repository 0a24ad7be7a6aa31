package io.ternkv.server.auth;

/**
 * Who a call authenticated as, and how.
 *
 * @param user the user's name
 * @param viaCertificate true when the client certificate's common name named the user
 */
public record Identity(String user, boolean viaCertificate) {}
