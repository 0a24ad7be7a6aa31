package io.ternkv.bench.load;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.options.GetOption;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * etcd through jetcd's async KV API: puts, linearizable gets (etcd's default) and serializable
 * gets (served from the local member's state, like TernKV's STALE).
 */
final class EtcdTarget implements Target {
  private static final List<String> LEVELS = List.of("linearizable", "serializable");
  private static final GetOption SERIALIZABLE = GetOption.builder().withSerializable(true).build();
  private final Client client;
  private final KV kv;

  EtcdTarget(List<String> endpoints) {
    client =
        Client.builder()
            .endpoints(endpoints.stream().map(e -> e.contains("://") ? e : "http://" + e).toArray(String[]::new))
            .build();
    kv = client.getKVClient();
  }

  @Override
  public String name() {
    return "etcd";
  }

  @Override
  public List<String> readLevels() {
    return LEVELS;
  }

  @Override
  public CompletableFuture<?> put(byte[] key, byte[] value) {
    return kv.put(ByteSequence.from(key), ByteSequence.from(value));
  }

  @Override
  public CompletableFuture<?> putAll(List<byte[]> keys, byte[] value) {
    ByteSequence v = ByteSequence.from(value);
    return kv.txn()
        .Then(
            keys.stream()
                .map(k -> io.etcd.jetcd.op.Op.put(ByteSequence.from(k), v, io.etcd.jetcd.options.PutOption.DEFAULT))
                .toArray(io.etcd.jetcd.op.Op[]::new))
        .commit();
  }

  @Override
  public CompletableFuture<?> get(byte[] key, String level) {
    return switch (level) {
      case "linearizable" -> kv.get(ByteSequence.from(key));
      case "serializable" -> kv.get(ByteSequence.from(key), SERIALIZABLE);
      default -> throw new IllegalArgumentException(
          "etcd has no read level '" + level + "' (one of " + LEVELS + ")");
    };
  }

  @Override
  public boolean isShed(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause()) {
      if (e instanceof io.etcd.jetcd.common.exception.EtcdException ee
          && ee.getErrorCode() == io.etcd.jetcd.common.exception.ErrorCode.RESOURCE_EXHAUSTED) {
        return true;
      }
      if (Status.fromThrowable(e).getCode() == Status.Code.RESOURCE_EXHAUSTED) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    client.close();
  }
}
