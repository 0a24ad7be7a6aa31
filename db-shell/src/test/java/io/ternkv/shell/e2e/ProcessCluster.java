package io.ternkv.shell.e2e;

import io.ternkv.server.LocalCluster;
import io.ternkv.server.MemberSpec;
import io.ternkv.server.HostPort;
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
 * killed with SIGKILL and restarted on the same data.
 */
final class ProcessCluster implements AutoCloseable {
  private final Path dir;
  private final List<MemberSpec> members;
  private final Process[] processes;
  /** More flags for node i's command line (e.g. TLS files); none by default. */
  private java.util.function.IntFunction<List<String>> extraArgs = i -> List.of();

  ProcessCluster(Path dir, int nodes) throws IOException {
    this.dir = dir;
    int[] ports = LocalCluster.freePorts(2 * nodes);
    List<MemberSpec> list = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      list.add(
          new MemberSpec(
              "n" + (i + 1),
              new HostPort("127.0.0.1", ports[2 * i]),
              new HostPort("127.0.0.1", ports[2 * i + 1])));
    }
    this.members = List.copyOf(list);
    this.processes = new Process[nodes];
  }

  /** Gives node i these extra flags from its next start on. */
  ProcessCluster withArgs(java.util.function.IntFunction<List<String>> extraArgs) {
    this.extraArgs = extraArgs;
    return this;
  }

  /** The members list every node is started with. */
  List<MemberSpec> members() {
    return members;
  }

  /** Node i's process id (it must be running). */
  long pid(int i) {
    return processes[i].pid();
  }

  List<String> endpoints() {
    return members.stream().map(m -> m.clientAddress().toString()).toList();
  }

  String endpoint(int i) {
    return members.get(i).clientAddress().toString();
  }

  Path log(int i) {
    return dir.resolve(members.get(i).id() + ".log");
  }

  void start(int i) throws IOException {
    if (processes[i] != null && processes[i].isAlive()) {
      return;
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd =
        new ArrayList<>(List.of(
            java,
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            "io.ternkv.shell.Tern",
            "server",
            "--id",
            members.get(i).id(),
            "--data-dir",
            dir.resolve(members.get(i).id()).toString(),
            "--members",
            String.join(",", members.stream().map(MemberSpec::toString).toList())));
    cmd.addAll(extraArgs.apply(i));
    Files.createDirectories(dir);
    File log = log(i).toFile();
    processes[i] =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
            .start();
  }

  void startAll() throws IOException {
    for (int i = 0; i < processes.length; i++) {
      start(i);
    }
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed that was not already. */
  void kill9(int i) throws InterruptedException {
    Process p = processes[i];
    if (p != null) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      processes[i] = null;
    }
  }

  /** SIGTERM and wait for a clean exit; returns the exit code. */
  int terminate(int i) throws InterruptedException {
    Process p = processes[i];
    if (p == null) {
      return 0;
    }
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      processes[i] = null;
      return -1;
    }
    processes[i] = null;
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
