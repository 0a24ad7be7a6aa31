package io.ternkv.bench;

import io.ternkv.client.TernClient;
import io.ternkv.server.LocalCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * A cluster to measure: a 3-node {@link LocalCluster} with on-disk data started for the trial, or
 * an external cluster named by endpoints; preloaded with {@code keys} keys of {@code valueSize}
 * bytes. Not a JMH state itself, so each benchmark class chooses its own parameters.
 */
final class BenchCluster implements AutoCloseable {
  final LocalCluster cluster;
  final TernClient client;
  final byte[][] keys;
  final byte[] value;

  BenchCluster(String endpoints, int keyCount, int valueSize) throws Exception {
    List<String> targets;
    if (endpoints == null || endpoints.isBlank()) {
      cluster = LocalCluster.builder().nodes(3).start();
      cluster.awaitLeader(Duration.ofSeconds(30));
      targets = cluster.endpoints();
    } else {
      cluster = null;
      targets = Arrays.asList(endpoints.split(","));
    }
    client = TernClient.builder().endpoints(targets).requestTimeout(Duration.ofSeconds(30)).build();
    keys = new byte[keyCount][];
    for (int i = 0; i < keyCount; i++) {
      keys[i] = String.format("bench/%010d", i).getBytes(StandardCharsets.UTF_8);
    }
    value = new byte[valueSize];
    Arrays.fill(value, (byte) 'v');
    preload();
  }

  /** Writes every key once, 64 in flight. */
  private void preload() throws InterruptedException {
    Semaphore window = new Semaphore(64);
    CompletableFuture<?>[] all = new CompletableFuture<?>[keys.length];
    for (int i = 0; i < keys.length; i++) {
      window.acquire();
      all[i] = client.putAsync(keys[i], value).whenComplete((r, e) -> window.release());
    }
    CompletableFuture.allOf(all).join();
  }

  @Override
  public void close() {
    client.close();
    if (cluster != null) {
      cluster.close();
    }
  }
}
