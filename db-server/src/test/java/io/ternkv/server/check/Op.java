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
 * @param level GET: the guarantee it asked for; only {@link Level#STRONG} reads take part in the
 *     linearizability check, the others are checked against their own models
 * @param maxStalenessNanos STALE GET: the bound it asked for (0: none)
 * @param revision OK writes: the store revision after them; OK GET: the mod revision of what it
 *     read (0: absent); 0 when not known
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
    long completeNanos,
    Level level,
    long maxStalenessNanos,
    long revision) {

  /** An operation of the register model: a STRONG read if a GET, no revision known. */
  public Op(
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
    this(id, process, kind, key, value, expected, observed, casApplied, outcome, invokeNanos,
        completeNanos, Level.STRONG, 0, 0);
  }

  /** The guarantee a read asked for. */
  public enum Level {
    /** LINEARIZABLE, LEASE or LOG: checked for linearizability. */
    STRONG,
    /** Monotonic reads and read-your-writes per process: {@link SessionChecker}. */
    SESSION,
    /** Some state current within the staleness bound: {@link StaleReadChecker}. */
    STALE
  }

  /** The same operation with other times (for reports). */
  public Op withTimes(long invoke, long complete) {
    return new Op(id, process, kind, key, value, expected, observed, casApplied, outcome, invoke,
        complete, level, maxStalenessNanos, revision);
  }

  /** Whether it certainly changed the key: an answered put, delete or applied compare-and-set. */
  public boolean acknowledgedWrite() {
    return outcome == Outcome.OK
        && (kind == Kind.PUT || kind == Kind.DELETE || (kind == Kind.CAS && casApplied));
  }

  /** Whether it may have written {@code value}: a put or CAS not known to have failed. */
  public boolean mayHaveWritten() {
    return (kind == Kind.PUT || kind == Kind.CAS)
        && outcome != Outcome.FAILED
        && !(kind == Kind.CAS && outcome == Outcome.OK && !casApplied);
  }

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
    String how =
        kind != Kind.GET || level == Level.STRONG
            ? ""
            : " " + level + (maxStalenessNanos > 0 ? "<=" + maxStalenessNanos / 1_000_000 + "ms" : "");
    return String.format(
        "#%d p%d %s%s%s [%s] %d..%s",
        id, process, what, how, revision > 0 ? " @r" + revision : "", outcome, invokeNanos,
        completeNanos == Long.MAX_VALUE ? "?" : Long.toString(completeNanos));
  }
}
