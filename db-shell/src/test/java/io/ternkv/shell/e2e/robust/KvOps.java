package io.ternkv.shell.e2e.robust;

import io.ternkv.client.Compare;
import io.ternkv.client.KeyValue;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.ReadOptions;
import io.ternkv.client.TernClient;
import io.ternkv.client.Txn;
import io.ternkv.client.TxnOp;
import io.ternkv.client.TxnResult;
import java.time.Duration;
import java.util.Optional;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The register operations a {@link Workload} client performs, so that the same workload can run
 * against TernKV or against a deliberately broken stand-in (to show the checker catches it). Errors
 * are {@link io.ternkv.client.TernException}s, as from {@link TernClient}.
 */
interface KvOps extends AutoCloseable {
  /** A value read and the revision that last modified it. */
  record Versioned(String value, long modRevision) {}

  /** A compare-and-set's answer: whether it wrote, and the store revision after it (0: unknown). */
  record Cas(boolean applied, long revision) {}

  /** Returns the revision the put created (0: not known). */
  long put(String key, String value);

  /** Returns the store revision after the delete (0: not known). */
  long delete(String key);

  Optional<String> get(String key, ReadConsistency level);

  /**
   * A read at any level, with a staleness bound for STALE ({@link Duration#ZERO}: none), returning
   * the revision too.
   */
  default Optional<Versioned> read(String key, ReadConsistency level, Duration maxStaleness) {
    return get(key, level).map(v -> new Versioned(v, 0));
  }

  /** Writes {@code value} if the key currently holds {@code expected} (null: absent). */
  Cas compareAndSet(String key, String expected, String value);

  @Override
  void close();

  /** Over a {@link TernClient}; the value compare makes this a CAS on the register's value. */
  static KvOps of(TernClient client) {
    return of(client, client);
  }

  /**
   * Over {@code client}, with STALE reads sent through {@code staleReads} (say, one that knows a
   * single node, so that followers answer them too).
   */
  static KvOps of(TernClient client, TernClient staleReads) {
    return new KvOps() {
      @Override
      public long put(String key, String value) {
        return client.put(key, value).revision();
      }

      @Override
      public long delete(String key) {
        return client.delete(key).header().revision();
      }

      @Override
      public Optional<String> get(String key, ReadConsistency level) {
        return client.get(key, level).map(KeyValue::valueUtf8);
      }

      @Override
      public Optional<Versioned> read(String key, ReadConsistency level, Duration maxStaleness) {
        TernClient via = level == ReadConsistency.STALE ? staleReads : client;
        return via
            .get(key.getBytes(UTF_8), new ReadOptions(level, maxStaleness))
            .map(kv -> new Versioned(kv.valueUtf8(), kv.modRevision()));
      }

      @Override
      public Cas compareAndSet(String key, String expected, String value) {
        byte[] k = key.getBytes(UTF_8);
        Compare when =
            expected == null
                ? Compare.absent(k)
                : Compare.value(k, Compare.Operator.EQUAL, expected.getBytes(UTF_8));
        TxnResult r =
            client.txn(Txn.builder().when(when).then(TxnOp.put(k, value.getBytes(UTF_8))).build());
        return new Cas(r.succeeded(), r.header().revision());
      }

      @Override
      public void close() {
        client.close();
        if (staleReads != client) {
          staleReads.close();
        }
      }
    };
  }
}
