package io.ternkv.bench.load;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A system under load: asynchronous puts and gets at named read levels. Implementations are
 * thread-safe; their futures may complete on any thread and must not block it.
 */
interface Target extends AutoCloseable {
  /** Short name used in output: {@code ternkv} or {@code etcd}. */
  String name();

  /** Read levels this target serves, lower case, the default (linearizable) first. */
  List<String> readLevels();

  /** Writes {@code value} at {@code key}. */
  CompletableFuture<?> put(byte[] key, byte[] value);

  /** Writes {@code value} at every key in one transaction (for preloading in batches). */
  CompletableFuture<?> putAll(List<byte[]> keys, byte[] value);

  /**
   * Reads {@code key} at {@code level} (one of {@link #readLevels()}).
   *
   * @throws IllegalArgumentException for a level this target does not serve
   */
  CompletableFuture<?> get(byte[] key, String level);

  /** Whether a failed call was refused for overload (gRPC RESOURCE_EXHAUSTED). */
  boolean isShed(Throwable error);

  @Override
  void close();
}
