package io.ternkv.server.check;

import java.util.Objects;

/**
 * One operation of a recorded history on a key-value register.
 *
 * @param id unique, dense per history (0..n-1)
 * @param process the client that issued it
 * @param kind what it did
 * @param key the key
 * @param value PUT: the value written; CAS: the new value
 * @param expected CAS: the value compared against (null = absent)
 * @param observed GET: the value read (null = absent)
 * @param casApplied CAS: whether it reported success
 * @param outcome OK, FAILED (certainly not applied) or UNKNOWN (maybe applied)
 * @param invokeNanos when it was sent
 * @param completeNanos when its answer came ({@link Long#MAX_VALUE} when UNKNOWN)
 */
public record Op(
    int id,
    int process,
    Kind kind,
    String key,
    String value,
    String expected,
    String observed,
    boolean casApplied,
    Outcome outcome,
    long invokeNanos,
    long completeNanos) {

  /** Operation kinds of the register model. */
  public enum Kind {
    PUT,
    GET,
    DELETE,
    CAS
  }

  /** How an operation ended. */
  public enum Outcome {
    OK,
    FAILED,
    UNKNOWN
  }

  /** A human-readable line, for failure reports. */
  public String describe() {
    String what =
        switch (kind) {
          case PUT -> "put " + key + "=" + value;
          case GET -> "get " + key + " -> " + (outcome == Outcome.OK ? Objects.toString(observed, "(absent)") : "?");
          case DELETE -> "del " + key;
          case CAS -> "cas " + key + " " + Objects.toString(expected, "(absent)") + "->" + value
              + (outcome == Outcome.OK ? (casApplied ? " ok" : " failed") : "");
        };
    return String.format(
        "#%d p%d %s [%s] %d..%s",
        id, process, what, outcome, invokeNanos,
        completeNanos == Long.MAX_VALUE ? "?" : Long.toString(completeNanos));
  }
}
