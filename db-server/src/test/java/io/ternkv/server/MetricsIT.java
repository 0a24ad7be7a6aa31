package io.ternkv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.ternkv.proto.v1.GetRequest;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.proto.v1.PutResponse;
import io.ternkv.proto.v1.RangeRequest;
import io.ternkv.proto.v1.ReadConsistency;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node's Prometheus endpoint, scraped over HTTP and parsed as Prometheus would: request counts
 * per method and per consistency level move by exactly the calls made, Raft and apply meters
 * follow the log, JVM meters are there.
 */
class MetricsIT {
  static LocalCluster cluster;
  static ManagedChannel channel;
  static int leader;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    cluster =
        LocalCluster.builder()
            .nodes(3)
            .configure(b -> b.metricsAddress(new HostPort("127.0.0.1", 0)).snapshotThreshold(20))
            .start();
    leader = cluster.awaitLeader(Duration.ofSeconds(20));
    channel = NettyChannelBuilder.forTarget(cluster.endpoint(leader)).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    cluster.close();
  }

  static KVGrpc.KVBlockingStub kv() {
    return KVGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  static URI uri(int node, String path) {
    HostPort address = cluster.node(node).metricsAddress().orElseThrow();
    return URI.create("http://" + address + path);
  }

  static HttpResponse<String> get(int node, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(node, path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static Scrape scrape(int node) throws Exception {
    HttpResponse<String> r = get(node, "/metrics");
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(
        r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
        r.headers().toString());
    return Scrape.parse(r.body());
  }

  static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void endpointListensOnlyOnTheLoopbackPortTheOsGave() {
    for (int i = 0; i < 3; i++) {
      HostPort address = cluster.node(i).metricsAddress().orElseThrow();
      assertEquals("127.0.0.1", address.host());
      assertTrue(address.port() > 0, address.toString());
    }
  }

  @Test
  void requestCountsMoveByMethodConsistencyAndCode() throws Exception {
    Scrape before = scrape(leader);
    long lastIndex = 0;
    for (int i = 0; i < 5; i++) {
      PutResponse put = kv().put(PutRequest.newBuilder().setKey(bytes("m/" + i)).setValue(bytes("v")).build());
      lastIndex = put.getHeader().getRaftIndex();
    }
    for (int i = 0; i < 3; i++) {
      kv().get(GetRequest.newBuilder().setKey(bytes("m/0")).build());
    }
    for (int i = 0; i < 2; i++) {
      kv().get(GetRequest.newBuilder().setKey(bytes("m/1")).setConsistency(ReadConsistency.READ_STALE).build());
    }
    kv().range(RangeRequest.newBuilder().setPrefix(bytes("m/")).setConsistency(ReadConsistency.READ_LEASE).build());
    assertThrows(
        StatusRuntimeException.class,
        () -> kv().put(PutRequest.newBuilder().setKey(ByteString.EMPTY).setValue(bytes("v")).build()));

    Scrape after = scrape(leader);
    String node = cluster.config(leader).nodeId();
    Map<String, String> put = Map.of("node", node, "method", "ternkv.v1.KV/Put", "code", "OK");
    assertEquals(5, after.delta(before, "tern_grpc_requests_seconds_count", put));
    assertEquals(
        5,
        after.delta(before, "tern_grpc_requests_seconds_bucket", with(put, "le", "+Inf")),
        "the histogram's +Inf bucket counts every call");
    assertTrue(after.value("tern_grpc_requests_seconds_sum", put) > 0);
    assertEquals(
        1,
        after.delta(
            before,
            "tern_grpc_requests_seconds_count",
            Map.of("method", "ternkv.v1.KV/Put", "code", "INVALID_ARGUMENT")));

    assertEquals(
        5,
        after.delta(before, "tern_kv_requests_seconds_count",
            Map.of("method", "ternkv.v1.KV/Put", "consistency", "majority", "code", "OK")));
    assertEquals(
        3,
        after.delta(before, "tern_kv_requests_seconds_count",
            Map.of("method", "ternkv.v1.KV/Get", "consistency", "linearizable", "code", "OK")),
        "an unset level is counted as the default it means");
    assertEquals(
        2,
        after.delta(before, "tern_kv_requests_seconds_count",
            Map.of("method", "ternkv.v1.KV/Get", "consistency", "stale", "code", "OK")));
    assertEquals(
        1,
        after.delta(before, "tern_kv_requests_seconds_count",
            Map.of("method", "ternkv.v1.KV/Range", "consistency", "lease", "code", "OK")));

    assertTrue(after.value("tern_raft_commit_index", Map.of()) >= lastIndex);
    assertTrue(after.value("tern_raft_applied_index", Map.of()) >= lastIndex);
    assertTrue(after.value("tern_raft_term", Map.of()) >= 1);
    assertEquals(1, after.value("tern_raft_is_leader", Map.of()));
    assertEquals(1, after.value("tern_raft_has_leader", Map.of()));
    assertTrue(after.value("tern_raft_leader_changes_total", Map.of()) >= 1);
    assertTrue(after.value("tern_raft_last_index", Map.of()) >= lastIndex);
    assertEquals(1, after.value("tern_raft_voter", Map.of()));
    assertTrue(after.value("tern_raft_follower_lag_max", Map.of()) >= 0);
    assertTrue(after.value("tern_store_bytes", Map.of()) > 0);
    assertEquals(5, after.delta(before, "tern_apply_seconds_count", Map.of("command", "put")));
  }

  @Test
  void followersCountTheLeaderTheyFollowAndApplyTheSameLog() throws Exception {
    int follower = (leader + 1) % 3;
    kv().put(PutRequest.newBuilder().setKey(bytes("f/1")).setValue(bytes("v")).build());
    Scrape s = scrape(follower);
    assertEquals(0, s.value("tern_raft_is_leader", Map.of()));
    assertEquals(1, s.value("tern_raft_has_leader", Map.of()));
    assertEquals(1, s.value("tern_raft_voter", Map.of()));
    assertEquals(0, s.value("tern_raft_follower_lag_max", Map.of()), "only the leader reports lag");
    assertTrue(s.value("tern_raft_leader_changes_total", Map.of()) >= 1);
    assertEquals(cluster.config(follower).nodeId(), s.labelValues("tern_raft_term", "node").get(0));
  }

  @Test
  void logSyncsAreCountedWithTheirLatencyOnEveryMember() throws Exception {
    Scrape before = scrape(leader);
    for (int i = 0; i < 5; i++) {
      kv().put(PutRequest.newBuilder().setKey(bytes("sync/" + i)).setValue(bytes("v")).build());
    }
    Scrape after = scrape(leader);
    assertTrue(
        after.delta(before, "tern_raft_log_syncs_total", Map.of()) >= 1,
        "acknowledged writes were synced to the leader's log");
    double median = after.value("tern_raft_log_sync_seconds", Map.of("quantile", "0.5"));
    double max = after.value("tern_raft_log_sync_seconds", Map.of("quantile", "1"));
    assertTrue(median > 0 && median < 10, "median sync " + median + " s");
    assertTrue(max >= median, "max " + max + " s below median " + median + " s");
    // A follower syncs the entries it appends before acknowledging them.
    int follower = (leader + 1) % 3;
    assertTrue(scrape(follower).value("tern_raft_log_syncs_total", Map.of()) >= 1);
  }

  @Test
  void snapshotsAreCountedWithTheirSize() throws Exception {
    for (int i = 0; i < 25; i++) {
      kv().put(PutRequest.newBuilder().setKey(bytes("snap/" + i)).setValue(bytes("value " + i)).build());
    }
    // Ratis takes the snapshot on its apply thread after the threshold: wait for it to be done.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Scrape s = scrape(leader);
    while (s.value("tern_snapshot_size_bytes_count", Map.of()) < 1 && System.nanoTime() < deadline) {
      Thread.sleep(50);
      s = scrape(leader);
    }
    assertTrue(s.value("tern_snapshot_size_bytes_count", Map.of()) >= 1, "a snapshot was counted");
    assertTrue(s.value("tern_snapshot_size_bytes_sum", Map.of()) > 0, "with its bytes");
    assertTrue(s.value("tern_snapshot_duration_seconds_count", Map.of()) >= 1);
    assertTrue(s.value("tern_raft_snapshot_index", Map.of()) >= 20);
    assertEquals(0, s.value("tern_snapshots_installed_total", Map.of()));
  }

  @Test
  void jvmMemoryAndGcMetersAreExposed() throws Exception {
    Scrape s = scrape(leader);
    assertTrue(s.value("jvm_memory_used_bytes", Map.of("area", "heap")) > 0);
    assertTrue(s.has("jvm_gc_max_data_size_bytes"), "GC meters");
    assertTrue(s.has("jvm_threads_live_threads"));
  }

  @Test
  void onlyGetAndHeadOnSlashMetrics() throws Exception {
    assertEquals(404, get(leader, "/").statusCode());
    assertEquals(404, get(leader, "/metrics/x").statusCode());
    HttpResponse<String> post =
        http.send(
            HttpRequest.newBuilder(uri(leader, "/metrics"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
    assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
  }

  static Map<String, String> with(Map<String, String> labels, String key, String value) {
    Map<String, String> m = new HashMap<>(labels);
    m.put(key, value);
    return m;
  }

  /** One scrape in the Prometheus text format: every sample with its labels. */
  record Scrape(List<Sample> samples) {
    record Sample(String name, Map<String, String> labels, double value) {}

    private static final Pattern LINE =
        Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+\\S+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    static Scrape parse(String text) {
      List<Sample> samples = new ArrayList<>();
      for (String line : text.split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        Matcher m = LINE.matcher(line);
        assertTrue(m.matches(), "not a Prometheus sample line: " + line);
        Map<String, String> labels = new HashMap<>();
        if (m.group(2) != null) {
          Matcher l = LABEL.matcher(m.group(2));
          while (l.find()) {
            labels.put(l.group(1), l.group(2));
          }
        }
        samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
      }
      assertFalse(samples.isEmpty(), "empty scrape");
      return new Scrape(samples);
    }

    boolean has(String name) {
      return samples.stream().anyMatch(s -> s.name().equals(name));
    }

    /** Sum of the samples named {@code name} whose labels include {@code labels}; 0 if none. */
    double value(String name, Map<String, String> labels) {
      return samples.stream()
          .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
          .mapToDouble(Sample::value)
          .sum();
    }

    double delta(Scrape before, String name, Map<String, String> labels) {
      return value(name, labels) - before.value(name, labels);
    }

    List<String> labelValues(String name, String label) {
      return samples.stream()
          .filter(s -> s.name().equals(name))
          .map(s -> s.labels().get(label))
          .toList();
    }
  }
}
