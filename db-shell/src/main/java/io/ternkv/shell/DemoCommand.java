package io.ternkv.shell;

import io.ternkv.server.LocalCluster;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tern demo}: a local cluster in this process, kept in a data directory. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a local TernKV cluster in this process, on free loopback ports.",
      "Prints the endpoints, then runs until stdin closes (Ctrl-D) or Ctrl-C and stops",
      "every node cleanly. Data is kept in --data-dir; the next demo starts with it."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--nodes", description = "Number of nodes, 1 to 9 (default: ${DEFAULT-VALUE}).")
  int nodes = 3;

  @Option(names = "--data-dir", description = "Where the cluster keeps its data (default: ${DEFAULT-VALUE}).")
  Path dataDir = Path.of("tern-data", "demo");

  @Override
  public Integer call() throws Exception {
    if (nodes < 1 || nodes > 9) {
      throw new IllegalArgumentException("--nodes must be between 1 and 9, was " + nodes);
    }
    Files.createDirectories(dataDir);
    Logging.toFile(dataDir.resolve("demo.log"), "demo");
    PrintStream out = System.out;
    out.println("starting a " + nodes + "-node TernKV cluster in " + dataDir + " ...");
    try (LocalCluster cluster = LocalCluster.builder().nodes(nodes).dataDir(dataDir).start()) {
      Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "tern-demo-shutdown"));
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      out.println("endpoints: " + String.join(",", cluster.endpoints()));
      out.println("leader: " + cluster.config(leader).nodeId() + " at " + cluster.endpoint(leader));
      out.println("logs: " + dataDir.resolve("demo.log"));
      out.println("connect a client with TernClient.builder().endpoints(\"" + cluster.endpoint(leader) + "\")");
      out.println("press Ctrl-D (or Ctrl-C) to stop the cluster");
      attach(cluster, System.in);
      out.println("stopping the cluster ...");
    }
    out.println("stopped; data kept in " + dataDir);
    return 0;
  }

  /** What the demo does while the cluster runs: waits for the end of stdin. */
  private void attach(LocalCluster cluster, InputStream in) throws IOException {
    byte[] buf = new byte[4096];
    while (in.read(buf) >= 0) {
      // Input is not interpreted yet; the interactive shell will attach here.
    }
  }
}
