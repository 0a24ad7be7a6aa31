package io.ternkv.server.auth;

/** What a request needs on a key span. */
public enum Access {
  READ,
  WRITE;

  /** Lower-case name for messages. */
  String verb() {
    return this == READ ? "read" : "write";
  }
}
