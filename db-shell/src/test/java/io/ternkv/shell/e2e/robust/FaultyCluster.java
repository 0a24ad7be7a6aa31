package io.ternkv.shell.e2e.robust;

import io.ternkv.client.ClusterStatus;
import io.ternkv.client.Role;
import io.ternkv.client.TernClient;
import io.ternkv.server.HostPort;
import io.ternkv.server.LocalCluster;
import io.ternkv.server.MemberSpec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Real {@code tern server} processes on 127.0.0.1 whose Raft links each pass through a {@link
 * LinkProxy}, so a test can cut any link in either direction, delay it or reset it, and can kill
 * (SIGKILL), pause (SIGSTOP), resume (SIGCONT) and restart nodes.
 *
 * <p><b>One proxy per directed pair.</b> Node {@code a} is started with its own members list, in
 * which every other node {@code b}'s Raft address is the port of proxy {@code a->b}; its own entry
 * has its real port, which it listens on. Every connection proxy {@code a->b} accepts therefore
 * comes from {@code a}. Ratis allows the lists to differ because it keys peers by id and keeps the
 * first address it was given for each: {@code RaftServerProxy.newRaftServerImpl} registers the group
 * passed to the builder ({@code RaftNode} always passes one, also on restart) before the stored
 * configuration is read, and {@code PeerProxyMap.computeIfAbsent} ignores later addresses for a
 * known id; {@code resetProxy} rebuilds a connection with the same peer. A leader's start-of-term
 * configuration entry carries ITS addresses to the followers' logs, but those addresses are never
 * dialled. {@code PerNodeAddressesIT} checks all of this on the processes: every node, after a
 * restart of the whole cluster too, leads through its own proxies, and no proxy ever accepts a
 * connection while its dialer is down.
 *
 * <p>Every fault is written to {@link #faults()} with the time since the cluster started. Not
 * thread-safe: one nemesis thread drives it.
 */
final class FaultyCluster implements AutoCloseable {
  private final Path dir;
  private final int n;
  private final List<MemberSpec> real;
  /** proxies[a][b] carries a's connections to b; null on the diagonal. */
  private final LinkProxy[][] proxies;
  private final Process[] processes;
  private final boolean[] paused;
  private final List<String> extraArgs;
  private final long startNanos = System.nanoTime();
  private final List<String> faults = Collections.synchronizedList(new ArrayList<>());
  /** Connections a proxy accepted while its dialer was down: must stay empty. */
  private final List<String> misrouted = Collections.synchronizedList(new ArrayList<>());
  private final long[] acceptedWhenStopped;

  /**
   * Allocates ports and starts the proxies; no server runs yet.
   *
   * @param dir where data directories and node logs go
   * @param nodes cluster size
   * @param extraArgs more {@code tern server} flags for every node
   */
  FaultyCluster(Path dir, int nodes, List<String> extraArgs) throws IOException {
    this.dir = dir;
    this.n = nodes;
    this.extraArgs = List.copyOf(extraArgs);
    int[] ports = LocalCluster.freePorts(2 * nodes);
    List<MemberSpec> list = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      list.add(
          new MemberSpec(
              id(i),
              new HostPort("127.0.0.1", ports[2 * i]),
              new HostPort("127.0.0.1", ports[2 * i + 1])));
    }
    this.real = List.copyOf(list);
    this.proxies = new LinkProxy[nodes][nodes];
    for (int a = 0; a < nodes; a++) {
      for (int b = 0; b < nodes; b++) {
        if (a != b) {
          HostPort t = real.get(b).raftAddress();
          proxies[a][b] = new LinkProxy(id(a), id(b), new InetSocketAddress(t.host(), t.port()));
        }
      }
    }
    this.processes = new Process[nodes];
    this.paused = new boolean[nodes];
    this.acceptedWhenStopped = new long[nodes];
    Files.createDirectories(dir);
  }

  static String id(int i) {
    return "n" + (i + 1);
  }

  int size() {
    return n;
  }

  Path dir() {
    return dir;
  }

  Path dataDir(int i) {
    return dir.resolve(id(i));
  }

  Path log(int i) {
    return dir.resolve(id(i) + ".log");
  }

  List<String> endpoints() {
    return real.stream().map(m -> m.clientAddress().toString()).toList();
  }

  String endpoint(int i) {
    return real.get(i).clientAddress().toString();
  }

  /** The node's real Raft address (not a proxy). */
  HostPort raftAddress(int i) {
    return real.get(i).raftAddress();
  }

  LinkProxy proxy(int from, int to) {
    return proxies[from][to];
  }

  /** The members list node {@code i} is started with: the others' Raft ports are its proxies. */
  String membersFor(int i) {
    List<String> out = new ArrayList<>();
    for (int j = 0; j < n; j++) {
      MemberSpec m = real.get(j);
      HostPort raft = j == i ? m.raftAddress() : new HostPort("127.0.0.1", proxies[i][j].port());
      out.add(new MemberSpec(m.id(), m.clientAddress(), raft).toString());
    }
    return String.join(",", out);
  }

  /** The fault schedule so far, one line per event. */
  List<String> faults() {
    synchronized (faults) {
      return List.copyOf(faults);
    }
  }

  /** Connections accepted by a proxy whose dialer was not running. */
  List<String> misrouted() {
    checkRouting();
    synchronized (misrouted) {
      return List.copyOf(misrouted);
    }
  }

  void note(String event) {
    faults.add(String.format("%9.3fs %s", (System.nanoTime() - startNanos) / 1e9, event));
  }

  boolean running(int i) {
    return processes[i] != null && processes[i].isAlive();
  }

  /** The exit code of node {@code i} once its process ended by itself, waiting up to {@code timeout}. */
  java.util.OptionalInt awaitExit(int i, Duration timeout) throws InterruptedException {
    Process p = processes[i];
    if (p != null && p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      note(id(i) + " exited with " + p.exitValue());
      return java.util.OptionalInt.of(p.exitValue());
    }
    return java.util.OptionalInt.empty();
  }

  /** Starts node {@code i} on its data directory unless it runs. */
  void start(int i) throws IOException {
    if (running(i)) {
      return;
    }
    checkRouting();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            java,
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-cp",
            System.getProperty("java.class.path"),
            "io.ternkv.shell.Tern",
            "server",
            "--id",
            id(i),
            "--data-dir",
            dataDir(i).toString(),
            "--members",
            membersFor(i)));
    cmd.addAll(extraArgs);
    processes[i] =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile()))
            .start();
    paused[i] = false;
    note("start " + id(i) + " (pid " + processes[i].pid() + ")");
  }

  void startAll() throws IOException {
    for (int i = 0; i < n; i++) {
      start(i);
    }
  }

  /** SIGKILL and wait for the process to be gone. */
  void kill9(int i) throws InterruptedException {
    Process p = processes[i];
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    p.waitFor(30, TimeUnit.SECONDS);
    processes[i] = null;
    paused[i] = false;
    note("kill -9 " + id(i));
    markStopped(i);
  }

  void kill9All() throws InterruptedException {
    for (int i = 0; i < n; i++) {
      Process p = processes[i];
      if (p != null) {
        p.destroyForcibly();
      }
    }
    for (int i = 0; i < n; i++) {
      Process p = processes[i];
      if (p != null) {
        p.waitFor(30, TimeUnit.SECONDS);
        processes[i] = null;
        paused[i] = false;
        markStopped(i);
      }
    }
    note("kill -9 every node at once");
  }

  /** SIGSTOP: the process keeps its sockets but does nothing until {@link #resume}. */
  void pause(int i) throws IOException, InterruptedException {
    signal(i, "STOP");
    paused[i] = true;
    note("SIGSTOP " + id(i));
  }

  void resume(int i) throws IOException, InterruptedException {
    signal(i, "CONT");
    paused[i] = false;
    note("SIGCONT " + id(i));
  }

  private void signal(int i, String sig) throws IOException, InterruptedException {
    Process p = processes[i];
    if (p == null) {
      throw new IllegalStateException(id(i) + " is not running");
    }
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + sig + " " + p.pid() + " failed");
    }
  }

  /** Holds back every byte node {@code from} sends to node {@code to}, on every connection. */
  void cut(int from, int to) {
    proxies[from][to].forward.block();
    proxies[to][from].backward.block();
    note("cut " + id(from) + " -> " + id(to));
  }

  /** Cuts both directions between every node of {@code side} and every node outside it. */
  void partition(Set<Integer> side) {
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        if (a != b && side.contains(a) != side.contains(b)) {
          proxies[a][b].forward.block();
          proxies[a][b].backward.block();
        }
      }
    }
    Set<Integer> other = new java.util.TreeSet<>();
    for (int i = 0; i < n; i++) {
      if (!side.contains(i)) {
        other.add(i);
      }
    }
    note("partition " + names(side) + " | " + names(other));
  }

  /** Delays every byte between {@code a} and {@code b}, both ways. */
  void delay(int a, int b, Duration d) {
    for (LinkProxy p : List.of(proxies[a][b], proxies[b][a])) {
      p.forward.delay(d);
      p.backward.delay(d);
    }
    note("delay " + id(a) + " <-> " + id(b) + " by " + d.toMillis() + " ms");
  }

  /** Closes every connection between {@code a} and {@code b}. */
  void reset(int a, int b) {
    proxies[a][b].resetConnections();
    proxies[b][a].resetConnections();
    note("reset connections " + id(a) + " <-> " + id(b));
  }

  /** Removes every network fault (held bytes are then delivered). */
  void heal() {
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        if (a != b) {
          for (LinkProxy.Direction d : List.of(proxies[a][b].forward, proxies[a][b].backward)) {
            d.delay(Duration.ZERO);
            d.pass();
          }
        }
      }
    }
    note("heal network");
  }

  /** Heals the network, resumes paused nodes and starts dead ones. */
  void restoreAll() throws IOException, InterruptedException {
    heal();
    for (int i = 0; i < n; i++) {
      if (paused[i]) {
        resume(i);
      }
      start(i);
    }
  }

  private String names(Set<Integer> nodes) {
    return nodes.stream().sorted().map(FaultyCluster::id).collect(Collectors.joining(","));
  }

  private void markStopped(int i) throws InterruptedException {
    // A connect the kernel completed just before the process died may still be in the accept
    // backlog: let the acceptors drain it before counting.
    Thread.sleep(200);
    acceptedWhenStopped[i] = acceptedFrom(i);
  }

  private long acceptedFrom(int i) {
    long sum = 0;
    for (int b = 0; b < n; b++) {
      if (b != i) {
        sum += proxies[i][b].accepted();
      }
    }
    return sum;
  }

  /**
   * A node that is down cannot dial: any connection its proxies accepted since it stopped came from
   * another node that was given its proxy's address.
   */
  private void checkRouting() {
    for (int i = 0; i < n; i++) {
      if (processes[i] == null) {
        long sum = acceptedFrom(i);
        if (sum > acceptedWhenStopped[i]) {
          misrouted.add(
              (sum - acceptedWhenStopped[i]) + " connection(s) through " + id(i) + "'s proxies while "
                  + id(i) + " was down");
          acceptedWhenStopped[i] = sum;
        }
      }
    }
  }

  /** The node that says it leads, asking only running, unpaused nodes; -1 if none does. */
  int leader(TernClient client) {
    for (int i = 0; i < n; i++) {
      if (!running(i) || paused[i]) {
        continue;
      }
      try {
        ClusterStatus s = client.status(endpoint(i));
        if (s.role() == Role.LEADER) {
          return i;
        }
      } catch (RuntimeException e) {
        // not answering: not a leader we can use
      }
    }
    return -1;
  }

  /** Waits for a leader among running nodes (bounded). */
  int awaitLeader(TernClient client, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      int l = leader(client);
      if (l >= 0) {
        return l;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no leader within " + timeout + "; node logs in " + dir);
      }
      Thread.sleep(100);
    }
  }

  @Override
  public void close() {
    for (Process p : processes) {
      if (p != null) {
        p.destroyForcibly();
      }
    }
    for (Process p : processes) {
      if (p != null) {
        try {
          p.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    for (LinkProxy[] row : proxies) {
      for (LinkProxy p : row) {
        if (p != null) {
          p.close();
        }
      }
    }
  }
}
