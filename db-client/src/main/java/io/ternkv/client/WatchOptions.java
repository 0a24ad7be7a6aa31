package io.ternkv.client;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a watch follows. Immutable; start from {@link #key} or {@link #range}.
 *
 * @param key the single key watched, or null when {@code range} is set
 * @param range the keys watched, or null when {@code key} is set
 * @param startRevision first revision to report; 0 means changes from now on. Earlier revisions
 *     are replayed from history; a compacted one cancels the watch with {@link
 *     RevisionOutOfRangeException}.
 * @param noPuts skip puts
 * @param noDeletes skip deletes
 * @param withPrevious include each key's version before the change
 * @param progress hear about progress while idle ({@link WatchListener#onProgress})
 */
public record WatchOptions(
    byte[] key,
    KeyRange range,
    long startRevision,
    boolean noPuts,
    boolean noDeletes,
    boolean withPrevious,
    boolean progress) {
  /** Validates the fields. */
  public WatchOptions {
    if ((key == null) == (range == null)) {
      throw new IllegalArgumentException("a watch follows either one key or one range");
    }
    if (key != null && key.length == 0) {
      throw new IllegalArgumentException("key must not be empty");
    }
    key = key == null ? null : key.clone();
    if (startRevision < 0) {
      throw new IllegalArgumentException("startRevision must not be negative");
    }
  }

  /** Watch one key, from now on. */
  public static WatchOptions key(byte[] key) {
    return new WatchOptions(Objects.requireNonNull(key, "key"), null, 0, false, false, false, false);
  }

  /** Watch a range (or prefix, or every key), from now on. */
  public static WatchOptions range(KeyRange range) {
    return new WatchOptions(null, Objects.requireNonNull(range, "range"), 0, false, false, false, false);
  }

  /** These options, starting at {@code revision}. */
  public WatchOptions fromRevision(long revision) {
    return new WatchOptions(key, range, revision, noPuts, noDeletes, withPrevious, progress);
  }

  /** These options, skipping puts. */
  public WatchOptions withoutPuts() {
    return new WatchOptions(key, range, startRevision, true, noDeletes, withPrevious, progress);
  }

  /** These options, skipping deletes. */
  public WatchOptions withoutDeletes() {
    return new WatchOptions(key, range, startRevision, noPuts, true, withPrevious, progress);
  }

  /** These options, with each key's previous version. */
  public WatchOptions withPreviousVersions() {
    return new WatchOptions(key, range, startRevision, noPuts, noDeletes, true, progress);
  }

  /** These options, with progress notifications while idle. */
  public WatchOptions withProgress() {
    return new WatchOptions(key, range, startRevision, noPuts, noDeletes, withPrevious, true);
  }

  @Override
  public byte[] key() {
    return key == null ? null : key.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WatchOptions w
        && Arrays.equals(key, w.key)
        && Objects.equals(range, w.range)
        && startRevision == w.startRevision
        && noPuts == w.noPuts
        && noDeletes == w.noDeletes
        && withPrevious == w.withPrevious
        && progress == w.progress;
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(key), range, startRevision, noPuts, noDeletes, withPrevious, progress);
  }

  @Override
  public String toString() {
    return "WatchOptions[" + (key != null ? "key" : range) + ", from " + startRevision + "]";
  }
}
