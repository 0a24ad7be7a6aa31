package io.ternkv.shell;

import io.ternkv.client.TernClient;
import io.ternkv.server.LocalCluster;
import java.io.IOException;
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
      "Prints the endpoints and attaches the shell (also to piped stdin); exit, Ctrl-D or",
      "Ctrl-C stops every node cleanly. Data is kept in --data-dir; the next demo starts",
      "with it. Example: printf 'put a 1\\nget a\\n' | ./tern demo"
    })
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--nodes", description = "Number of nodes, 1 to 9 (default: ${DEFAULT-VALUE}).")
  int nodes = 3;

  @Option(names = "--data-dir", description = "Where the cluster keeps its data (default: ${DEFAULT-VALUE}).")
  Path dataDir = Path.of("tern-data", "demo");

  @picocli.CommandLine.ParentCommand Tern parent;

  @Override
  public Integer call() throws Exception {
    if (nodes < 1 || nodes > 9) {
      throw new IllegalArgumentException("--nodes must be between 1 and 9, was " + nodes);
    }
    Files.createDirectories(dataDir);
    Logging.toFile(dataDir.resolve("demo.log"), "demo");
    PrintStream out = parent.out;
    out.println("starting a " + nodes + "-node TernKV cluster in " + dataDir + " ...");
    LocalCluster cluster = LocalCluster.builder().nodes(nodes).dataDir(dataDir).start();
    Thread onSignal = new Thread(cluster::close, "tern-demo-shutdown");
    Runtime.getRuntime().addShutdownHook(onSignal);
    try {
      int leader = cluster.awaitLeader(Duration.ofSeconds(30));
      out.println("endpoints: " + String.join(",", cluster.endpoints()));
      out.println("leader: " + cluster.config(leader).nodeId() + " at " + cluster.endpoint(leader));
      out.println("logs: " + dataDir.resolve("demo.log"));
      out.println("other shells: ./tern shell --endpoints " + String.join(",", cluster.endpoints()));
      int status = attach(cluster);
      out.println("stopping the cluster ...");
      return status;
    } finally {
      cluster.close();
      Runtime.getRuntime().removeShutdownHook(onSignal);
      out.println("stopped; data kept in " + dataDir);
    }
  }

  /** Runs the shell on this terminal (or on piped stdin) until exit or end of input. */
  private int attach(LocalCluster cluster) throws IOException {
    Shell.Settings settings = ShellCommand.settings("table", "linearizable", false, false);
    try (TernClient client =
        TernClient.builder().endpoints(cluster.endpoints()).requestTimeout(Duration.ofSeconds(5)).build()) {
      return ShellRunner.run(
          client,
          settings,
          new ShellRunner.Source(null, null, parent.in, parent.terminal()),
          cluster.endpoints(),
          parent.out,
          parent.err);
    }
  }
}
