package io.ternkv.client;

import java.util.Objects;
import java.util.Optional;

/**
 * One change seen by a watch.
 *
 * @param type put or delete
 * @param kv for a put the new version; for a delete the key, with {@link KeyValue#modRevision()}
 *     the delete's revision and no value
 * @param previous the version before the change, when the watch asked for it and history still
 *     held it
 */
public record WatchEvent(Type type, KeyValue kv, Optional<KeyValue> previous) {
  /** What happened to the key. */
  public enum Type {
    PUT,
    DELETE
  }

  /** Validates the fields. */
  public WatchEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(kv, "kv");
    Objects.requireNonNull(previous, "previous");
  }

  /** The revision the change happened at. */
  public long revision() {
    return kv.modRevision();
  }
}
