package io.ternkv.shell.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.server.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tern server} as a process configured from a YAML file, {@code TERN_} variables and flags
 * at once: the printed configuration says which layer each value came from, the node runs with
 * them (health, metrics, a limit from the environment), and a bad variable stops the launcher with
 * its name.
 */
class ServerConfigIT {
  private static final Pattern READY =
      Pattern.compile("tern server n1 serving clients on (\\S+), metrics on (http://\\S+/metrics)");

  @TempDir Path dir;
  private Process process;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (process != null) {
      process.destroyForcibly();
    }
  }

  private Process tern(Map<String, String> env, Path log, String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd =
        new ArrayList<>(
            List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), "io.ternkv.shell.Tern", "server"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    // Only the variables this test means: the developer's own TERN_ settings must not leak in.
    pb.environment().keySet().removeIf(k -> k.startsWith("TERN_"));
    pb.environment().putAll(env);
    return pb.start();
  }

  @Test
  void fileEnvironmentAndFlagsConfigureARealNode() throws Exception {
    int[] ports = LocalCluster.freePorts(2);
    String member = "n1=127.0.0.1:" + ports[0] + "/127.0.0.1:" + ports[1];
    Path conf = dir.resolve("n1.yaml");
    Files.writeString(
        conf,
        "data-dir: " + dir.resolve("n1") + "\n"
            + "members:\n  - " + member + "\n"
            + "snapshot-threshold: 500\n"
            + "election-timeout-min: 400ms\n"
            + "election-timeout-max: 800ms\n");
    Path log = dir.resolve("n1.log");
    process =
        tern(
            Map.of("TERN_ID", "n1", "TERN_SNAPSHOT_THRESHOLD", "700", "TERN_MAX_KEY_BYTES", "2KiB"),
            log,
            "--config", conf.toString(), "--snapshot-threshold", "900", "--metrics", "127.0.0.1:0");

    Matcher ready = awaitLine(log, READY);
    List<String> lines = Files.readAllLines(log);
    assertTrue(lines.contains("  id                     n1  (env TERN_ID)"), String.join("\n", lines));
    assertTrue(lines.contains("  data-dir               " + dir.resolve("n1") + "  (file " + conf + ")"), String.join("\n", lines));
    assertTrue(lines.contains("  snapshot-threshold     900  (flag --snapshot-threshold)"), String.join("\n", lines));
    assertTrue(lines.contains("  max-key-bytes          2KiB  (env TERN_MAX_KEY_BYTES)"), String.join("\n", lines));
    assertTrue(lines.contains("  election-timeout-min   400ms  (file " + conf + ")"), String.join("\n", lines));
    assertTrue(lines.contains("  max-value-bytes        1MiB  (default)"), String.join("\n", lines));
    assertEquals("127.0.0.1:" + ports[0], ready.group(1));

    channel = NettyChannelBuilder.forTarget(ready.group(1)).usePlaintext().build();
    awaitServing(channel);
    StatusRuntimeException tooLong =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                KVGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .put(
                        PutRequest.newBuilder()
                            .setKey(ByteString.copyFromUtf8("k".repeat(3000)))
                            .setValue(ByteString.copyFromUtf8("v"))
                            .build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, tooLong.getStatus().getCode());
    assertTrue(tooLong.getStatus().getDescription().contains("2048"), tooLong.getStatus().getDescription());

    HttpResponse<String> metrics =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(ready.group(2))).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("tern_raft_is_leader{node=\"n1\"} 1.0"), metrics.body());
    assertTrue(
        metrics.body().contains("code=\"INVALID_ARGUMENT\",method=\"ternkv.v1.KV/Put\",node=\"n1\""),
        "the refused put was counted");

    process.destroy();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "SIGTERM stops the node");
    assertEquals(0, process.exitValue(), Files.readString(log));
  }

  @Test
  void badVariableStopsTheLauncherNamingItBeforeAnythingStarts() throws Exception {
    Path log = dir.resolve("bad.log");
    Path data = dir.resolve("never");
    process =
        tern(
            Map.of("TERN_ELECTION_TIMEOUT_MIN", "soon"),
            log,
            "--id", "n1", "--data-dir", data.toString(), "--members", "n1=127.0.0.1:1/127.0.0.1:2");
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, process.exitValue());
    assertEquals(
        List.of(
            "error: invalid election-timeout-min 'soon' (env TERN_ELECTION_TIMEOUT_MIN): not a duration (a whole"
                + " number with ms, s or m)"),
        Files.readAllLines(log));
    assertFalse(Files.exists(data), "nothing was started");
  }

  private static Matcher awaitLine(Path log, Pattern pattern) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log)) {
        for (String line : Files.readAllLines(log)) {
          Matcher m = pattern.matcher(line);
          if (m.find()) {
            return m;
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no line matching " + pattern + " in:\n" + (Files.exists(log) ? Files.readString(log) : ""));
  }

  private static void awaitServing(ManagedChannel channel) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    ServingStatus last = null;
    while (System.nanoTime() < deadline) {
      last =
          HealthGrpc.newBlockingStub(channel)
              .withDeadlineAfter(5, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance())
              .getStatus();
      if (last == ServingStatus.SERVING) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("health stayed " + last);
  }
}
