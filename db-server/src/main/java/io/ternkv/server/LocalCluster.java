package io.ternkv.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * N TernKV nodes in one JVM on free loopback ports: what {@code tern demo}, the tests and the
 * benchmarks run. Each node has its own data directory under the cluster's; a temporary one is
 * deleted on {@link #close}, a given one is kept.
 *
 * <p>Threading: methods may be called from any thread but are not meant to race with each other
 * (one test or one demo drives a cluster).
 */
public final class LocalCluster implements AutoCloseable {
  private final Path dataDir;
  private final boolean temporary;
  private final List<ServerConfig> configs;
  private final TernServer[] nodes;

  private LocalCluster(Path dataDir, boolean temporary, List<ServerConfig> configs) {
    this.dataDir = dataDir;
    this.temporary = temporary;
    this.configs = configs;
    this.nodes = new TernServer[configs.size()];
  }

  /** A builder for a 3-node cluster in a temporary directory. */
  public static Builder builder() {
    return new Builder();
  }

  /** Directory holding one sub-directory per node. */
  public Path dataDir() {
    return dataDir;
  }

  /** Number of nodes (running or not). */
  public int size() {
    return configs.size();
  }

  /** Client addresses of all nodes, as {@code host:port}. */
  public List<String> endpoints() {
    return configs.stream().map(c -> c.clientAddress().toString()).toList();
  }

  /** Client address of node {@code i}. */
  public String endpoint(int i) {
    return configs.get(i).clientAddress().toString();
  }

  /** Configuration of node {@code i}. */
  public ServerConfig config(int i) {
    return configs.get(i);
  }

  /**
   * Node {@code i}.
   *
   * @throws IllegalStateException when that node is stopped
   */
  public synchronized TernServer node(int i) {
    TernServer n = nodes[i];
    if (n == null) {
      throw new IllegalStateException("node " + configs.get(i).nodeId() + " is stopped");
    }
    return n;
  }

  /** Whether node {@code i} is running. */
  public synchronized boolean isRunning(int i) {
    return nodes[i] != null;
  }

  /** Index of the node that currently believes it leads, if any. */
  public Optional<Integer> leaderIndex() {
    TernServer[] running;
    synchronized (this) {
      running = nodes.clone();
    }
    for (int i = 0; i < running.length; i++) {
      if (running[i] != null && running[i].isLeader()) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  /**
   * Waits until some running node leads and has applied an entry of its term.
   *
   * @return the leader's index
   * @throws IllegalStateException when no leader emerged within {@code timeout}
   */
  public int awaitLeader(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Integer> leader = leaderIndex();
      if (leader.isPresent()) {
        return leader.get();
      }
      sleep(20);
    }
    throw new IllegalStateException("no leader within " + timeout);
  }

  /** Starts every stopped node, in parallel. */
  public LocalCluster start() throws IOException {
    List<CompletableFuture<Void>> starting = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      if (nodes[i] == null) {
        int n = i;
        starting.add(
            CompletableFuture.runAsync(
                () -> {
                  try {
                    startNode(n);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                }));
      }
    }
    try {
      CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
    } catch (RuntimeException e) {
      close();
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      throw e;
    }
    return this;
  }

  /** Starts node {@code i} again with its data directory (no-op when running). */
  public synchronized TernServer startNode(int i) throws IOException {
    if (nodes[i] == null) {
      nodes[i] = TernServer.start(configs.get(i));
    }
    return nodes[i];
  }

  /**
   * Stops node {@code i} cleanly, keeping its data (no-op when stopped); a leader first hands
   * leadership over, as on SIGTERM.
   */
  public void stopNode(int i) {
    TernServer n;
    synchronized (this) {
      n = nodes[i];
      nodes[i] = null;
    }
    if (n != null) {
      n.close();
    }
  }

  /** Kills node {@code i} as a crash would (see {@link TernServer#kill}), keeping its data. */
  public void killNode(int i) {
    TernServer n;
    synchronized (this) {
      n = nodes[i];
      nodes[i] = null;
    }
    if (n != null) {
      n.kill();
    }
  }

  /**
   * Cuts every Raft link between node {@code i} and the others (in-process partition through
   * Ratis's injection points; see {@link io.ternkv.server.raft.Partitions}). Clients still reach
   * the node.
   */
  public void isolate(int i) {
    io.ternkv.server.raft.Partitions.isolate(configs.get(i).nodeId());
  }

  /**
   * Stops log entries from reaching node {@code i} while the leader's heartbeats still do (see
   * {@link io.ternkv.server.raft.Partitions#cutEntriesTo}). {@link #heal} restores them.
   */
  public void cutEntriesTo(int i) {
    io.ternkv.server.raft.Partitions.cutEntriesTo(configs.get(i).nodeId());
  }

  /** Restores every Raft link. */
  public void heal() {
    io.ternkv.server.raft.Partitions.healAll();
  }

  /** Stops every node and, for a temporary cluster, deletes its data. */
  @Override
  public void close() {
    heal();
    // Each Ratis server takes about a second to stop; stop them together.
    List<CompletableFuture<Void>> stopping = new ArrayList<>();
    for (int i = 0; i < nodes.length; i++) {
      TernServer n;
      synchronized (this) {
        n = nodes[i];
        nodes[i] = null;
      }
      if (n != null) {
        // All stop together: a leader handing over would only wait for nodes that stop too.
        stopping.add(CompletableFuture.runAsync(n::closeWithoutHandOff));
      }
    }
    CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new)).join();
    if (temporary) {
      deleteRecursively(dataDir);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  /**
   * Picks {@code count} distinct free TCP ports on the loopback interface. Another process could
   * take one before it is bound; acceptable for tests and demos.
   */
  public static int[] freePorts(int count) throws IOException {
    ServerSocket[] sockets = new ServerSocket[count];
    int[] ports = new int[count];
    try {
      for (int i = 0; i < count; i++) {
        sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets[i].setReuseAddress(true);
        ports[i] = sockets[i].getLocalPort();
      }
    } finally {
      for (ServerSocket s : sockets) {
        if (s != null) {
          s.close();
        }
      }
    }
    return ports;
  }

  private static final String MEMBERS_FILE = "members.txt";

  /**
   * A cluster's Raft log remembers its members' addresses, so a kept data directory must be
   * restarted on the same ports: they are stored beside the data and reused.
   */
  private static List<MemberSpec> loadOrAllocateMembers(Path file, int nodes) throws IOException {
    if (Files.exists(file)) {
      List<MemberSpec> members = MemberSpec.parseList(Files.readString(file).trim());
      if (members.size() != nodes) {
        throw new IOException(
            file.getParent() + " holds a " + members.size() + "-node cluster, not " + nodes
                + " nodes; use another data directory");
      }
      return members;
    }
    int[] ports = freePorts(2 * nodes);
    String host = InetAddress.getLoopbackAddress().getHostAddress();
    List<MemberSpec> members = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      members.add(
          new MemberSpec(
              "n" + (i + 1), new HostPort(host, ports[2 * i]), new HostPort(host, ports[2 * i + 1])));
    }
    Files.writeString(
        file, String.join(",", members.stream().map(MemberSpec::toString).toList()) + "\n");
    return members;
  }

  /** Builder for {@link LocalCluster}; not thread-safe. */
  public static final class Builder {
    private int nodes = 3;
    private Path dataDir;
    private UnaryOperator<ServerConfig.Builder> customizer = b -> b;

    private Builder() {}

    /** Number of nodes (1 to 9; default 3). */
    public Builder nodes(int nodes) {
      if (nodes < 1 || nodes > 9) {
        throw new IllegalArgumentException("nodes must be between 1 and 9, was " + nodes);
      }
      this.nodes = nodes;
      return this;
    }

    /** Directory to keep data in (kept after close); default a temporary one, deleted on close. */
    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    /** Adjusts every node's configuration (snapshot threshold, limits, timeouts...). */
    public Builder configure(UnaryOperator<ServerConfig.Builder> customizer) {
      this.customizer = customizer;
      return this;
    }

    /** Allocates ports and directories without starting anything. */
    public LocalCluster build() throws IOException {
      boolean temporary = dataDir == null;
      Path dir = temporary ? Files.createTempDirectory("ternkv-cluster-") : dataDir;
      Files.createDirectories(dir);
      List<MemberSpec> members = loadOrAllocateMembers(dir.resolve(MEMBERS_FILE), nodes);
      List<ServerConfig> configs = new ArrayList<>();
      for (MemberSpec m : members) {
        configs.add(
            customizer
                .apply(
                    ServerConfig.builder()
                        .nodeId(m.id())
                        .members(members)
                        .dataDir(dir.resolve(m.id())))
                .build());
      }
      return new LocalCluster(dir, temporary, List.copyOf(configs));
    }

    /** Builds and starts every node. */
    public LocalCluster start() throws IOException {
      return build().start();
    }
  }
}
