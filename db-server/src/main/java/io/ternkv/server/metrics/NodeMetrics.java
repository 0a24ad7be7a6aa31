package io.ternkv.server.metrics;

import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.server.HostPort;
import io.ternkv.server.raft.LogSync;
import io.ternkv.server.raft.NodeStatus;
import io.ternkv.server.raft.RaftEvents;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * One node's metrics and the HTTP endpoint that serves them ({@code GET /metrics}, Prometheus
 * text format). Every meter carries the tag {@code node} with the node's id. What is measured
 * (Prometheus names):
 *
 * <ul>
 *   <li>{@code tern_grpc_requests_seconds} (histogram): every gRPC call, by {@code method} and
 *       {@code code}; {@code tern_kv_requests_seconds}: calls with a consistency level, by {@code
 *       method}, {@code consistency} and {@code code} (see {@link RequestMetrics}).
 *   <li>{@code tern_raft_term}, {@code tern_raft_commit_index}, {@code tern_raft_applied_index},
 *       {@code tern_raft_last_index}, {@code tern_raft_snapshot_index}, {@code
 *       tern_raft_has_leader}, {@code tern_raft_is_leader}, {@code tern_raft_voter}, {@code
 *       tern_raft_follower_lag_max}, {@code tern_store_bytes} (gauges, read from the node's status
 *       at each scrape) and {@code tern_raft_leader_changes_total}.
 *   <li>{@code tern_raft_log_syncs_total} and {@code tern_raft_log_sync_seconds} by {@code
 *       quantile}: Raft log fsyncs and their recent latency, from Ratis's own measurement.
 *   <li>{@code tern_apply_seconds} (histogram): applying one log command, by {@code command}.
 *   <li>{@code tern_snapshot_size_bytes} (count and sum: snapshots this node wrote and their
 *       bytes), {@code tern_snapshot_duration_seconds}, {@code tern_snapshots_installed_total}
 *       (snapshots received from a leader).
 *   <li>JVM memory, GC, threads, CPU and uptime from Micrometer's binders ({@code jvm_memory_*},
 *       {@code jvm_gc_*}, {@code jvm_threads_*}, {@code process_*}, {@code system_*}).
 * </ul>
 *
 * <p>Threading: thread-safe. {@link RaftEvents} methods run on Ratis's threads and only update
 * meters; scrapes run on the endpoint's thread.
 */
public final class NodeMetrics implements RaftEvents, AutoCloseable {
  /** Histogram buckets for applying one command: most take microseconds. */
  static final Duration[] APPLY_BUCKETS = {
    Duration.ofNanos(10_000),
    Duration.ofNanos(25_000),
    Duration.ofNanos(50_000),
    Duration.ofNanos(100_000),
    Duration.ofNanos(250_000),
    Duration.ofNanos(500_000),
    Duration.ofMillis(1),
    Duration.ofMillis(5),
    Duration.ofMillis(25),
    Duration.ofMillis(100),
    Duration.ofSeconds(1)
  };

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc;
  private final Map<Command.OpCase, Timer> applyTimers = new EnumMap<>(Command.OpCase.class);
  private final Counter leaderChanges;
  private final DistributionSummary snapshotSize;
  private final Timer snapshotDuration;
  private final MetricsEndpoint endpoint;
  private volatile Supplier<NodeStatus> status;
  private volatile Supplier<LogSync> logSync;

  private NodeMetrics(String nodeId, HostPort address) throws IOException {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("node", nodeId);
    new JvmMemoryMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    for (Command.OpCase c : Command.OpCase.values()) {
      if (c != Command.OpCase.OP_NOT_SET) {
        applyTimers.put(
            c,
            Timer.builder("tern.apply")
                .description("Applying one log command to the store, a due store commit included")
                .tag("command", c.name().toLowerCase(Locale.ROOT))
                .serviceLevelObjectives(APPLY_BUCKETS)
                .register(registry));
      }
    }
    leaderChanges =
        Counter.builder("tern.raft.leader.changes")
            .description("Times this node learnt of a new leader (after another one or none)")
            .register(registry);
    snapshotSize =
        DistributionSummary.builder("tern.snapshot.size")
            .baseUnit("bytes")
            .description("Snapshots this node wrote, and their sizes")
            .register(registry);
    snapshotDuration =
        Timer.builder("tern.snapshot.duration")
            .description("Writing and fsyncing one snapshot")
            .register(registry);
    try {
      endpoint = MetricsEndpoint.start(nodeId, address, registry);
    } catch (IOException e) {
      gc.close();
      registry.close();
      throw e;
    }
  }

  /**
   * Creates the node's registry and starts serving it on {@code address}.
   *
   * @throws IOException when the address cannot be bound
   */
  public static NodeMetrics serve(String nodeId, HostPort address) throws IOException {
    return new NodeMetrics(nodeId, address);
  }

  /** The address the endpoint listens on, with the port the OS picked when 0 was asked for. */
  public HostPort address() {
    return endpoint.address();
  }

  /** The interceptor that measures every gRPC call; add it to the client server. */
  public ServerInterceptor requestInterceptor() {
    return new RequestMetrics(registry);
  }

  /**
   * Registers the Raft gauges, read from {@code status} at each scrape (a status that throws,
   * e.g. once the node closed, reads as NaN). Call once.
   */
  public void bindStatus(Supplier<NodeStatus> status) {
    // Held here: meters keep only weak references to what they read.
    this.status = status;
    gauge("tern.raft.term", "Current Raft term", NodeStatus::term);
    gauge("tern.raft.commit.index", "Highest log index known committed", NodeStatus::commitIndex);
    gauge("tern.raft.applied.index", "Highest log index applied", NodeStatus::appliedIndex);
    gauge("tern.raft.snapshot.index", "Index of the latest snapshot, -1 without one", NodeStatus::snapshotIndex);
    gauge("tern.raft.has.leader", "1 when this node knows a leader", s -> s.leaderId() == null ? 0 : 1);
    gauge("tern.raft.is.leader", "1 when this node is the leader", s -> "LEADER".equals(s.role()) ? 1 : 0);
    gauge("tern.raft.last.index", "Index of the last entry in this node's log", NodeStatus::lastIndex);
    gauge(
        "tern.raft.voter",
        "1 when this node votes; 0 while it joins (learner) or once removed",
        s -> switch (s.role()) {
          case "LEADER", "FOLLOWER", "CANDIDATE" -> 1;
          default -> 0;
        });
    gauge(
        "tern.raft.follower.lag.max",
        "On the leader, the most log entries any other member is missing; 0 elsewhere",
        s -> s.followers().stream().mapToLong(f -> f.lag()).max().orElse(0));
    gauge("tern.store.bytes", "Size of the store file on disk", NodeStatus::dataBytes);
    FunctionCounter.builder("tern.snapshots.installed", this, m -> m.read(NodeStatus::snapshotsInstalled))
        .description("Snapshots received from a leader and installed since start")
        .register(registry);
  }

  /**
   * Registers the log-sync meters, read from {@code logSync} at each scrape: {@code
   * tern_raft_log_syncs_total} and {@code tern_raft_log_sync_seconds} by {@code quantile} (0.5,
   * 0.99, 1 for the maximum) over Ratis's recent sample. Call once.
   */
  public void bindLogSync(Supplier<LogSync> logSync) {
    this.logSync = logSync;
    FunctionCounter.builder("tern.raft.log.syncs", this, m -> m.sync(LogSync::count))
        .description("Raft log syncs (fsyncs) since start")
        .register(registry);
    syncGauge("0.5", LogSync::p50Seconds);
    syncGauge("0.99", LogSync::p99Seconds);
    syncGauge("1", LogSync::maxSeconds);
  }

  private void syncGauge(String quantile, ToDoubleFunction<LogSync> value) {
    Gauge.builder("tern.raft.log.sync.seconds", this, m -> m.sync(value))
        .tag("quantile", quantile)
        .description("Time to sync the Raft log to disk, over Ratis's recent sample")
        .register(registry);
  }

  private double sync(ToDoubleFunction<LogSync> value) {
    Supplier<LogSync> s = logSync;
    if (s == null) {
      return Double.NaN;
    }
    try {
      return value.applyAsDouble(s.get());
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  private void gauge(String name, String description, ToDoubleFunction<NodeStatus> value) {
    Gauge.builder(name, this, m -> m.read(value)).description(description).register(registry);
  }

  private double read(ToDoubleFunction<NodeStatus> value) {
    Supplier<NodeStatus> s = status;
    if (s == null) {
      return Double.NaN;
    }
    try {
      return value.applyAsDouble(s.get());
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  /** The registry, for tests and for meters added elsewhere. */
  public MeterRegistry registry() {
    return registry;
  }

  @Override
  public void applied(Command.OpCase command, long nanos) {
    Timer t = applyTimers.get(command);
    if (t != null) {
      t.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void snapshotTaken(long bytes, long nanos) {
    snapshotSize.record(bytes);
    snapshotDuration.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void leaderChanged(String leaderId) {
    leaderChanges.increment();
  }

  /** Stops the endpoint and releases the JVM listeners the GC metrics installed. */
  @Override
  public void close() {
    endpoint.close();
    gc.close();
    registry.close();
  }
}
