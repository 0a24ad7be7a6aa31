package io.ternkv.shell.e2e.robust;

import io.ternkv.client.Compare;
import io.ternkv.client.KeyValue;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.client.Txn;
import io.ternkv.client.TxnOp;
import java.util.Optional;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The register operations a {@link Workload} client performs, so that the same workload can run
 * against TernKV or against a deliberately broken stand-in (to show the checker catches it). Errors
 * are {@link io.ternkv.client.TernException}s, as from {@link TernClient}.
 */
interface KvOps extends AutoCloseable {
  void put(String key, String value);

  void delete(String key);

  Optional<String> get(String key, ReadConsistency level);

  /** Writes {@code value} if the key currently holds {@code expected} (null: absent). */
  boolean compareAndSet(String key, String expected, String value);

  @Override
  void close();

  /** Over a {@link TernClient}; the value compare makes this a CAS on the register's value. */
  static KvOps of(TernClient client) {
    return new KvOps() {
      @Override
      public void put(String key, String value) {
        client.put(key, value);
      }

      @Override
      public void delete(String key) {
        client.delete(key);
      }

      @Override
      public Optional<String> get(String key, ReadConsistency level) {
        return client.get(key, level).map(KeyValue::valueUtf8);
      }

      @Override
      public boolean compareAndSet(String key, String expected, String value) {
        byte[] k = key.getBytes(UTF_8);
        Compare when =
            expected == null
                ? Compare.absent(k)
                : Compare.value(k, Compare.Operator.EQUAL, expected.getBytes(UTF_8));
        return client
            .txn(Txn.builder().when(when).then(TxnOp.put(k, value.getBytes(UTF_8))).build())
            .succeeded();
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }
}
