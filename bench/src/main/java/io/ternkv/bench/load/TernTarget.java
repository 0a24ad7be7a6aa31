package io.ternkv.bench.load;

import io.ternkv.client.ErrorCode;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.client.TernException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * TernKV through the client library's async API. The client retries RESOURCE_EXHAUSTED itself
 * with exponential backoff within its request timeout, so a shed request surfaces here only when
 * that time is spent (or as slower successes).
 */
final class TernTarget implements Target {
  private static final List<String> LEVELS = List.of("linearizable", "lease", "session", "stale");
  private final TernClient client;

  TernTarget(List<String> endpoints, Duration requestTimeout) {
    client = TernClient.builder().endpoints(endpoints).requestTimeout(requestTimeout).build();
  }

  @Override
  public String name() {
    return "ternkv";
  }

  @Override
  public List<String> readLevels() {
    return LEVELS;
  }

  @Override
  public CompletableFuture<?> put(byte[] key, byte[] value) {
    return client.putAsync(key, value);
  }

  @Override
  public CompletableFuture<?> putAll(List<byte[]> keys, byte[] value) {
    return client.txnAsync(
        io.ternkv.client.Txn.builder()
            .then(keys.stream().map(k -> io.ternkv.client.TxnOp.put(k, value)).toList())
            .build());
  }

  @Override
  public CompletableFuture<?> get(byte[] key, String level) {
    if (!LEVELS.contains(level)) {
      throw new IllegalArgumentException("ternkv has no read level '" + level + "' (one of " + LEVELS + ")");
    }
    return client.getAsync(key, ReadConsistency.valueOf(level.toUpperCase(Locale.ROOT)));
  }

  @Override
  public boolean isShed(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      if (e instanceof TernException te && te.code() == ErrorCode.RESOURCE_EXHAUSTED) {
        return true;
      }
      if (!(e instanceof CompletionException || e instanceof TernException)) {
        return false;
      }
    }
    return false;
  }

  @Override
  public void close() {
    client.close();
  }
}
