package io.ternkv.shell;

import io.ternkv.server.HostPort;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.ServerConfig;
import io.ternkv.server.TernServer;
import io.ternkv.server.apply.RequestLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tern server}: runs one storage node until SIGTERM or SIGINT. */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs one TernKV storage node until SIGTERM/SIGINT, then stops cleanly.",
      "Restarting with the same --data-dir rejoins the cluster with the node's data.",
      "Example (3 nodes, run once per id):",
      "  tern server --id n1 --data-dir data/n1 \\",
      "    --members n1=127.0.0.1:7001/127.0.0.1:8001,n2=127.0.0.1:7002/127.0.0.1:8002,n3=127.0.0.1:7003/127.0.0.1:8003"
    })
final class ServerCommand implements Callable<Integer> {
  @Option(names = "--id", required = true, description = "This node's id; must appear in --members.")
  String id;

  @Option(names = "--data-dir", required = true, description = "Directory for this node's log, snapshots and store (created if missing).")
  Path dataDir;

  @Option(
      names = "--members",
      required = true,
      description = "Every initial member as id=clientHost:port/raftHost:port, comma-separated.")
  String members;

  @Option(names = "--client", description = "Address to serve clients on (default: this node's entry in --members).")
  String client;

  @Option(names = "--raft", description = "Address for Raft peers (default: this node's entry in --members).")
  String raft;

  @Option(names = "--snapshot-threshold", description = "Entries applied between snapshots (default: ${DEFAULT-VALUE}).")
  long snapshotThreshold = ServerConfig.DEFAULT_SNAPSHOT_THRESHOLD;

  @Option(names = "--max-key-bytes", description = "Largest key accepted (default: ${DEFAULT-VALUE}).")
  int maxKeyBytes = RequestLimits.DEFAULT_MAX_KEY_BYTES;

  @Option(names = "--max-value-bytes", description = "Largest value accepted, at most 3 MiB (default: ${DEFAULT-VALUE}).")
  int maxValueBytes = RequestLimits.DEFAULT_MAX_VALUE_BYTES;

  @Option(names = "--election-timeout-min", description = "Shortest election timeout in ms (default: ${DEFAULT-VALUE}).")
  long electionTimeoutMinMs = ServerConfig.DEFAULT_ELECTION_TIMEOUT_MIN.toMillis();

  @Option(names = "--election-timeout-max", description = "Longest election timeout in ms (default: ${DEFAULT-VALUE}).")
  long electionTimeoutMaxMs = ServerConfig.DEFAULT_ELECTION_TIMEOUT_MAX.toMillis();

  @Option(names = "--log-segment-bytes", description = "Largest Raft log segment (default: ${DEFAULT-VALUE}).")
  long logSegmentBytes = ServerConfig.DEFAULT_LOG_SEGMENT_BYTES;

  /**
   * The node's configuration from the flags.
   *
   * @throws IllegalArgumentException naming the bad flag or setting
   */
  ServerConfig config() {
    List<MemberSpec> parsed = MemberSpec.parseList(members);
    ServerConfig.Builder b =
        ServerConfig.builder()
            .nodeId(id)
            .members(parsed)
            .dataDir(dataDir)
            .snapshotThreshold(snapshotThreshold)
            .logSegmentBytes(logSegmentBytes)
            .electionTimeout(Duration.ofMillis(electionTimeoutMinMs), Duration.ofMillis(electionTimeoutMaxMs))
            .limits(new RequestLimits(maxKeyBytes, maxValueBytes));
    if (client != null) {
      b.clientAddress(parse("--client", client));
    }
    if (raft != null) {
      b.raftAddress(parse("--raft", raft));
    }
    return b.build();
  }

  private static HostPort parse(String flag, String value) {
    try {
      return HostPort.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    ServerConfig config = config();
    Logging.toStderr(config.nodeId());
    TernServer server = TernServer.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                  System.err.flush();
                  // A stop on request is a clean exit, not death by signal (which would be 143).
                  Runtime.getRuntime().halt(0);
                },
                "tern-shutdown"));
    System.err.println(
        "tern server " + config.nodeId() + " serving clients on " + config.clientAddress() + " (SIGTERM stops it)");
    stopped.await();
    return 0;
  }
}
