package io.ternkv.shell.e2e;

import io.ternkv.server.HostPort;
import io.ternkv.server.LocalCluster;
import io.ternkv.server.MemberSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real {@code tern server} processes on loopback, started with this JVM's class path: what an
 * operator runs, minus the machines. Each node logs to {@code DATA_DIR/<id>.log}. Nodes can be
 * killed with SIGKILL and restarted on the same data; more can be started with {@code --join} to
 * be added to the running cluster.
 */
final class ProcessCluster implements AutoCloseable {
  private final Path dir;
  /** The initial members, then nodes started to join; index = node number - 1. */
  private final List<MemberSpec> members = new ArrayList<>();
  private final int initial;
  private final List<String> extraArgs;
  private final List<Process> processes = new ArrayList<>();
  /** More flags for node i's command line (e.g. TLS files); none by default. */
  private java.util.function.IntFunction<List<String>> nodeArgs = i -> List.of();

  ProcessCluster(Path dir, int nodes) throws IOException {
    this(dir, nodes, List.of());
  }

  /** @param extraArgs flags given to every node, e.g. {@code --snapshot-threshold 100} */
  ProcessCluster(Path dir, int nodes, List<String> extraArgs) throws IOException {
    this.dir = dir;
    this.initial = nodes;
    this.extraArgs = List.copyOf(extraArgs);
    for (int i = 0; i < nodes; i++) {
      members.add(newMember());
    }
  }

  private MemberSpec newMember() throws IOException {
    int[] ports = LocalCluster.freePorts(2);
    processes.add(null);
    return new MemberSpec(
        "n" + (members.size() + 1),
        new HostPort("127.0.0.1", ports[0]),
        new HostPort("127.0.0.1", ports[1]));
  }

  /** Gives node i these extra flags from its next start on. */
  ProcessCluster withArgs(java.util.function.IntFunction<List<String>> nodeArgs) {
    this.nodeArgs = nodeArgs;
    return this;
  }

  /** The members list the initial nodes are started with. */
  List<MemberSpec> members() {
    return members.subList(0, initial);
  }

  /** Node i's process id (it must be running). */
  long pid(int i) {
    return processes.get(i).pid();
  }

  /** Client addresses of the initial members. */
  List<String> endpoints() {
    return members.subList(0, initial).stream().map(m -> m.clientAddress().toString()).toList();
  }

  String endpoint(int i) {
    return members.get(i).clientAddress().toString();
  }

  MemberSpec member(int i) {
    return members.get(i);
  }

  String id(int i) {
    return members.get(i).id();
  }

  /** Number of nodes started so far (running or not). */
  int size() {
    return members.size();
  }

  Path log(int i) {
    return dir.resolve(members.get(i).id() + ".log");
  }

  void start(int i) throws IOException {
    Process running = processes.get(i);
    if (running != null && running.isAlive()) {
      return;
    }
    MemberSpec m = members.get(i);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            java,
            "-Xmx256m",
            // Tests run many JVMs on few cores: skip the optimising compiler, start faster.
            "-XX:TieredStopAtLevel=1",
            "-cp",
            System.getProperty("java.class.path"),
            "io.ternkv.shell.Tern",
            "server",
            "--id",
            m.id(),
            "--data-dir",
            dir.resolve(m.id()).toString()));
    if (i < initial) {
      cmd.addAll(
          List.of("--members", String.join(",", members.subList(0, initial).stream().map(MemberSpec::toString).toList())));
    } else {
      cmd.addAll(List.of("--join", "--members", m.toString()));
    }
    cmd.addAll(extraArgs);
    cmd.addAll(nodeArgs.apply(i));
    Files.createDirectories(dir);
    File log = log(i).toFile();
    processes.set(
        i,
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
            .start());
  }

  void startAll() throws IOException {
    for (int i = 0; i < initial; i++) {
      start(i);
    }
  }

  /**
   * Starts one more node with {@code --join}: it waits until a {@code member add} adds it.
   *
   * @return its index
   */
  int startJoining() throws IOException {
    members.add(newMember());
    int i = members.size() - 1;
    start(i);
    return i;
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed that was not already. */
  void kill9(int i) throws InterruptedException {
    Process p = processes.get(i);
    if (p != null) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      processes.set(i, null);
    }
  }

  /** SIGTERM and wait for a clean exit; returns the exit code. */
  int terminate(int i) throws InterruptedException {
    Process p = processes.get(i);
    if (p == null) {
      return 0;
    }
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      processes.set(i, null);
      return -1;
    }
    processes.set(i, null);
    return p.exitValue();
  }

  @Override
  public void close() {
    for (Process p : processes) {
      if (p != null) {
        p.destroyForcibly();
      }
    }
  }
}
