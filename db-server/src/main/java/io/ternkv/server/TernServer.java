package io.ternkv.server;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.ternkv.server.apply.RequestLimits;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.ternkv.server.auth.AuthGate;
import io.ternkv.server.auth.AuthInterceptor;
import io.ternkv.server.auth.LoginThrottle;
import io.ternkv.server.grpc.AdmissionLimit;
import io.ternkv.server.grpc.AuthService;
import io.ternkv.server.grpc.ClusterService;
import io.ternkv.server.grpc.HealthReporter;
import io.ternkv.server.grpc.KvService;
import io.ternkv.server.grpc.LeaseService;
import io.ternkv.server.grpc.MaintenanceService;
import io.ternkv.server.grpc.WatchService;
import io.ternkv.server.history.AutoCompactor;
import io.ternkv.server.lease.LeaseKeeper;
import io.ternkv.server.membership.MemberChanges;
import io.ternkv.server.metrics.NodeMetrics;
import io.ternkv.server.raft.NodeStatus;
import io.ternkv.server.raft.RaftEvents;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.tls.NodeTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TernKV storage node: a Raft member (Apache Ratis on its raft address) plus the client gRPC
 * services (on its client address): {@code ternkv.v1.KV}, {@code Cluster}, {@code Lease}, {@code
 * Watch}, {@code Maintenance} and {@code Auth} (users, roles, logins; see {@link AuthInterceptor}), the
 * standard health service {@code grpc.health.v1.Health} (see {@link HealthReporter}) and server
 * reflection, so {@code grpcurl} can list and call the services without the proto files.
 * Embeddable: {@link #start} returns a running node, {@link #close} stops it cleanly. Restarting
 * with the same data directory rejoins the group with the data the node had. With a metrics
 * address configured it also serves Prometheus metrics over HTTP (see {@link NodeMetrics}).
 *
 * <p>Threading: thread-safe; {@link #close} may be called from any thread, more than once.
 */
public final class TernServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TernServer.class);

  private final ServerConfig config;
  private final RaftNode raft;
  private final Server grpc;
  private final KvService kv;
  private final LeaseKeeper leases;
  private final WatchService watches;
  private final AutoCompactor compactor;
  private final HealthReporter health;
  private final NodeMetrics metrics;
  private final NodeTls tls;
  private volatile boolean closed;
  private volatile String handedLeadershipTo;

  /**
   * The system property that sizes the JVM's common pool. Processes running nodes set it to at
   * least 2 before anything uses the pool (the {@code tern} launcher, the test and benchmark JVMs);
   * see {@link #start}.
   */
  public static final String COMMON_POOL_PARALLELISM =
      "java.util.concurrent.ForkJoinPool.common.parallelism";

  private TernServer(
      ServerConfig config,
      RaftNode raft,
      Server grpc,
      KvService kv,
      LeaseKeeper leases,
      WatchService watches,
      AutoCompactor compactor,
      HealthReporter health,
      NodeMetrics metrics,
      NodeTls tls) {
    this.config = config;
    this.tls = tls;
    this.watches = watches;
    this.compactor = compactor;
    this.raft = raft;
    this.grpc = grpc;
    this.kv = kv;
    this.leases = leases;
    this.health = health;
    this.metrics = metrics;
  }

  /**
   * Starts a node.
   *
   * @throws IOException when the data directory cannot be used or a port (client, raft or
   *     metrics) cannot be bound; nothing is left running then
   */
  public static TernServer start(ServerConfig config) throws IOException {
    Files.createDirectories(config.dataDir());
    LOG.info("{}: starting with {}", config.nodeId(), config);
    if (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() < 2) {
      // Ratis runs follower appends as CompletableFuture async stages without an executor; with
      // a common pool of one thread (any machine with two cores or fewer) the JDK starts a new
      // thread for each, which doubled replication latency in our measurements.
      LOG.warn(
          "{}: the JVM's common pool has parallelism {}; start it with -D{}=2 for faster"
              + " replication",
          config.nodeId(),
          java.util.concurrent.ForkJoinPool.getCommonPoolParallelism(),
          COMMON_POOL_PARALLELISM);
    }
    // Certificates first, then metrics: a bad certificate file or a metrics port already taken
    // fails the start before Raft runs.
    NodeTls tls = NodeTls.open(config);
    NodeMetrics metrics = null;
    if (config.metricsAddress().isPresent()) {
      try {
        metrics = NodeMetrics.serve(config.nodeId(), config.metricsAddress().get());
      } catch (IOException e) {
        tls.close();
        throw new IOException(
            "cannot serve metrics on " + config.metricsAddress().get() + ": " + e.getMessage(), e);
      }
    }
    RaftNode raft;
    try {
      raft = RaftNode.start(config, metrics == null ? RaftEvents.NONE : metrics, tls);
    } catch (IOException | RuntimeException e) {
      if (metrics != null) {
        metrics.close();
      }
      tls.close();
      throw e;
    }
    Server grpc;
    AuthGate auth = new AuthGate(raft::store, config.authTokenTtl());
    KvService kv = new KvService(config.nodeId(), raft, config.limits(), tls, auth);
    LeaseKeeper leases = new LeaseKeeper(config.nodeId(), raft, config.electionTimeoutMax());
    WatchService watches = new WatchService(config.nodeId(), raft, config.limits(), auth);
    AutoCompactor compactor = new AutoCompactor(config.nodeId(), raft, config.historyRetention());
    HealthReporter health = new HealthReporter(config.nodeId(), raft::status);
    try {
      NettyServerBuilder builder =
          NettyServerBuilder.forAddress(
              new InetSocketAddress(config.clientAddress().host(), config.clientAddress().port()));
      int threads = Integer.getInteger("ternkv.grpc.server-threads", -1);
      // -Dternkv.grpc.kv-inline=false runs every call on grpc's default pool, for measurements.
      if (threads < 0 && Boolean.parseBoolean(System.getProperty("ternkv.grpc.kv-inline", "true"))) {
        // KV point calls run on the transport thread, the rest on a pool (see CallOffload):
        // one thread switch less per request (puts at 64 in flight, three processes on two cores,
        // interleaved: 1,961, 2,514, 1,993/s through gRPC's pool; 2,771, 3,190, 3,170/s inline).
        // Registered first, so it runs after the interceptors below.
        builder.directExecutor();
        builder.intercept(
            new io.ternkv.server.grpc.CallOffload(
                io.ternkv.server.grpc.CallOffload.KV_POINT_METHODS::contains,
                java.util.concurrent.Executors.newCachedThreadPool(
                    r -> {
                      Thread t = new Thread(r, config.nodeId() + "-grpc");
                      t.setDaemon(true);
                      return t;
                    })));
      }
      if (metrics != null) {
        metrics.bindStatus(raft::status);
        metrics.bindLogSync(raft::logSync);
        builder.intercept(metrics.requestInterceptor());
      }
      // Registered last, so it runs first: no other interceptor sees an unauthenticated call.
      builder.intercept(new AuthInterceptor(auth, config.clientCertAuth()));
      if (tls.clientPortTls()) {
        builder.sslContext(tls.clientPortServerContext().orElseThrow());
      }
      // For measurements: -Dternkv.grpc.server-threads=N runs every call on a pool of N threads,
      // 0 every call on the transport thread.
      if (threads > 0) {
        builder.executor(
            java.util.concurrent.Executors.newFixedThreadPool(
                threads,
                r -> {
                  Thread t = new Thread(r, config.nodeId() + "-grpc");
                  t.setDaemon(true);
                  return t;
                }));
      } else if (threads == 0) {
        builder.directExecutor();
      }
      grpc =
          builder
              .addService(
                  io.grpc.ServerInterceptors.intercept(
                      kv, new AdmissionLimit(config.nodeId(), config.maxInflightRequests())))
              .addService(
                  new ClusterService(
                      config.nodeId(),
                      raft,
                      new MemberChanges(config.nodeId(), raft, tls, config.electionTimeoutMax()),
                      auth))
              .addService(new LeaseService(config.nodeId(), raft, kv, leases))
              .addService(watches.service())
              .addService(new MaintenanceService(config.nodeId(), raft, auth))
              .addService(new AuthService(config.nodeId(), raft, kv, auth, new LoginThrottle()))
              .addService(health.service())
              .addService(ProtoReflectionServiceV1.newInstance())
              .addService(reflectionV1Alpha())
              // Room for the largest valid put or transaction, so an oversized one reaches our
              // validation and gets INVALID_ARGUMENT with the limit named.
              .maxInboundMessageSize(
                  Math.max(
                          config.limits().maxValueBytes() + config.limits().maxKeyBytes(),
                          RequestLimits.MAX_TXN_BYTES)
                      + 1024 * 1024)
              .build()
              .start();
    } catch (IOException | RuntimeException e) {
      health.close();
      kv.close();
      leases.close();
      watches.close();
      compactor.close();
      raft.close();
      if (metrics != null) {
        metrics.close();
      }
      tls.close();
      throw new IOException(
          "cannot listen for clients on " + config.clientAddress() + ": " + e.getMessage(), e);
    }
    LOG.info(
        "{}: serving clients on {}{}, raft on {}{}{}",
        config.nodeId(),
        config.clientAddress(),
        tls.clientPortTls() ? " (TLS" + (config.clientCertAuth() ? ", client certificates required)" : ")") : "",
        config.raftAddress(),
        config.peerTls().isPresent() ? " (mutual TLS)" : "",
        metrics == null ? "" : ", metrics on http://" + metrics.address() + "/metrics");
    return new TernServer(config, raft, grpc, kv, leases, watches, compactor, health, metrics, tls);
  }

  /**
   * After {@link #close}: the voter this node handed leadership to while stopping, or empty when it
   * did not lead or no voter took over in time (the others then elected a leader by themselves).
   */
  public Optional<String> leadershipHandedTo() {
    return Optional.ofNullable(handedLeadershipTo);
  }

  /**
   * On the leader, moves leadership to another voter before stopping, so that clients wait for a
   * hand-over rather than for an election timeout. Only a voter that answered within an election
   * timeout is asked (one that stopped would not take over), and the hand-over is given up after
   * two election timeouts.
   */
  private void handOffLeadership() {
    try {
      if (!raft.isReadyLeader()) {
        return;
      }
      java.time.Duration timeout = config.electionTimeoutMax().multipliedBy(2);
      Optional<String> to =
          raft.membership()
              .handOffLeadership(config.electionTimeoutMax(), timeout)
              .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      if (to.isPresent()) {
        handedLeadershipTo = to.get();
        LOG.info("{}: handed leadership to {} before stopping", config.nodeId(), to.get());
      } else {
        LOG.info("{}: stopping without handing leadership over (no other voter answers, or none took over in time)", config.nodeId());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn("{}: could not hand leadership over before stopping: {}", config.nodeId(), e.toString());
    }
  }

  /** The pre-standard reflection service (v1alpha), which older grpcurl and other tools ask for. */
  @SuppressWarnings("deprecation")
  private static BindableService reflectionV1Alpha() {
    return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
  }

  /** This node's configuration. */
  public ServerConfig config() {
    return config;
  }

  /** This node's id. */
  public String nodeId() {
    return config.nodeId();
  }

  /** The address clients connect to. */
  public HostPort clientAddress() {
    return config.clientAddress();
  }

  /**
   * Where this node serves Prometheus metrics, with the port the OS picked when the
   * configuration asked for port 0; empty when metrics are off.
   */
  public Optional<HostPort> metricsAddress() {
    return Optional.ofNullable(metrics).map(NodeMetrics::address);
  }

  /** This node's current view of the Raft group. */
  public NodeStatus status() {
    return raft.status();
  }

  /**
   * Whether this node currently leads and is ready to serve (it has committed an entry of its
   * term). Another node may already have replaced it without it knowing.
   */
  public boolean isLeader() {
    return raft.isReadyLeader();
  }

  /**
   * Re-reads the TLS certificate, key and CA files that changed on disk (they are also checked
   * every {@link NodeTls#RELOAD_INTERVAL}); new connections on either port use them. {@code tern
   * server} calls this on SIGHUP.
   *
   * @return one line per file set replaced or, when unusable, kept; empty when nothing changed
   */
  public List<String> reloadCertificates() {
    return tls.reload();
  }

  /** Holds this node's apply thread: it keeps logging entries but falls behind (fault tests). */
  public void holdApply() {
    raft.holdApply();
  }

  /** Lets a held apply thread go on. */
  public void releaseApply() {
    raft.releaseApply();
  }

  /**
   * Stops at once as if the process died: client calls are cut off and the store is closed
   * without committing, so on restart the node replays its log. For fault tests.
   */
  public void kill() {
    if (closed) {
      return;
    }
    closed = true;
    LOG.info("{}: killed", config.nodeId());
    health.close();
    grpc.shutdownNow();
    watches.close();
    kv.close();
    leases.close();
    compactor.close();
    try {
      raft.crash();
    } catch (IOException e) {
      LOG.warn("{}: error while killing raft: {}", config.nodeId(), e.toString());
    }
    if (metrics != null) {
      metrics.close();
    }
    tls.close();
  }

  /**
   * Reports {@code NOT_SERVING} to health checks; on the leader, hands leadership to the most
   * up-to-date voter (see {@link #leadershipHandedTo}); stops serving clients (in-flight calls get
   * up to 5 s), then leaves the group and closes. Writes in flight on a leader that hands over fail
   * with a not-leader error and the client retries them on the new leader, which answers from its
   * retry cache if they were committed.
   */
  @Override
  public void close() {
    close(true);
  }

  /**
   * {@link #close} without handing leadership over: for stopping every node of a cluster at once
   * (as {@link LocalCluster#close} does), where a hand-over would only wait for nodes that are
   * stopping too.
   */
  public void closeWithoutHandOff() {
    close(false);
  }

  private void close(boolean handOff) {
    if (closed) {
      return;
    }
    closed = true;
    LOG.info("{}: shutting down", config.nodeId());
    health.close();
    if (handOff) {
      handOffLeadership();
    }
    // Watch streams never end by themselves: end them first (clients resume elsewhere), so the
    // graceful shutdown below only waits for unary calls.
    watches.close();
    grpc.shutdown();
    try {
      if (!grpc.awaitTermination(5, TimeUnit.SECONDS)) {
        grpc.shutdownNow();
      }
    } catch (InterruptedException e) {
      grpc.shutdownNow();
      Thread.currentThread().interrupt();
    }
    kv.close();
    leases.close();
    compactor.close();
    try {
      raft.close();
    } catch (IOException e) {
      LOG.warn("{}: error while closing raft: {}", config.nodeId(), e.toString());
    }
    if (metrics != null) {
      metrics.close();
    }
    tls.close();
    LOG.info("{}: stopped", config.nodeId());
  }
}
