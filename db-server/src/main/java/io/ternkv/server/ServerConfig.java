package io.ternkv.server;

import io.ternkv.server.apply.RequestLimits;
import io.ternkv.server.tls.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Immutable configuration of one TernKV node. Build with {@link #builder()}; {@link
 * Builder#build()} validates and names the bad setting.
 */
public final class ServerConfig {
  /** Entries applied between automatic snapshots by default. */
  public static final long DEFAULT_SNAPSHOT_THRESHOLD = 10_000;

  /** Revisions of history kept by default before the leader compacts older ones. */
  public static final long DEFAULT_HISTORY_RETENTION = 10_000;

  /** Largest Raft log segment by default: 8 MiB. */
  public static final long DEFAULT_LOG_SEGMENT_BYTES = 8L * 1024 * 1024;

  /** Shortest election timeout by default. */
  public static final Duration DEFAULT_ELECTION_TIMEOUT_MIN = Duration.ofMillis(300);

  /** Applied writes between store commits by default. */
  public static final long DEFAULT_STORE_COMMIT_WRITES = 1024;

  /** Longest time an applied write stays uncommitted in the store by default. */
  public static final Duration DEFAULT_STORE_COMMIT_INTERVAL = Duration.ofMillis(200);

  /** Longest election timeout by default. */
  public static final Duration DEFAULT_ELECTION_TIMEOUT_MAX = Duration.ofMillis(600);

  /**
   * Most KV requests (reads and writes) a node works on at once by default. A 3-node cluster
   * reaches its highest throughput with far fewer in flight; past this it refuses more with
   * RESOURCE_EXHAUSTED instead of queueing them.
   */
  public static final int DEFAULT_MAX_INFLIGHT_REQUESTS = 512;

  private final String nodeId;
  private final HostPort clientAddress;
  private final HostPort raftAddress;
  private final List<MemberSpec> members;
  private final Path dataDir;
  private final long snapshotThreshold;
  private final long historyRetention;
  private final long logSegmentBytes;
  private final Duration electionTimeoutMin;
  private final Duration electionTimeoutMax;
  private final RequestLimits limits;
  private final long storeCommitWrites;
  private final Duration storeCommitInterval;
  private final HostPort metricsAddress;
  private final boolean join;
  private final TlsFiles clientTls;
  private final boolean clientCertAuth;
  private final TlsFiles peerTls;
  private final int maxInflightRequests;
  private final Duration authTokenTtl;

  /** How long an authentication token is valid by default. */
  public static final Duration DEFAULT_AUTH_TOKEN_TTL = Duration.ofMinutes(5);

  private ServerConfig(Builder b) {
    this.authTokenTtl = b.authTokenTtl;
    this.nodeId = b.nodeId;
    this.clientAddress = b.clientAddress;
    this.raftAddress = b.raftAddress;
    this.members = List.copyOf(b.members);
    this.dataDir = b.dataDir;
    this.snapshotThreshold = b.snapshotThreshold;
    this.historyRetention = b.historyRetention;
    this.logSegmentBytes = b.logSegmentBytes;
    this.electionTimeoutMin = b.electionTimeoutMin;
    this.electionTimeoutMax = b.electionTimeoutMax;
    this.limits = b.limits;
    this.storeCommitWrites = b.storeCommitWrites;
    this.storeCommitInterval = b.storeCommitInterval;
    this.metricsAddress = b.metricsAddress;
    this.join = b.join;
    this.clientTls = b.clientTls;
    this.clientCertAuth = b.clientCertAuth;
    this.peerTls = b.peerTls;
    this.maxInflightRequests = b.maxInflightRequests;
  }

  /** A builder with the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this configuration's settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.nodeId = nodeId;
    b.clientAddress = clientAddress;
    b.raftAddress = raftAddress;
    b.members = members;
    b.dataDir = dataDir;
    b.snapshotThreshold = snapshotThreshold;
    b.historyRetention = historyRetention;
    b.maxInflightRequests = maxInflightRequests;
    b.authTokenTtl = authTokenTtl;
    b.logSegmentBytes = logSegmentBytes;
    b.electionTimeoutMin = electionTimeoutMin;
    b.electionTimeoutMax = electionTimeoutMax;
    b.limits = limits;
    b.storeCommitWrites = storeCommitWrites;
    b.storeCommitInterval = storeCommitInterval;
    b.metricsAddress = metricsAddress;
    b.join = join;
    b.clientTls = clientTls;
    b.clientCertAuth = clientCertAuth;
    b.peerTls = peerTls;
    return b;
  }

  /** How long tokens this node issues at login are valid. */
  public Duration authTokenTtl() {
    return authTokenTtl;
  }

  /** This node's id. */
  public String nodeId() {
    return nodeId;
  }

  /** Address the client gRPC service listens on. */
  public HostPort clientAddress() {
    return clientAddress;
  }

  /** Address the Raft peer service listens on. */
  public HostPort raftAddress() {
    return raftAddress;
  }

  /**
   * The initial members of the group, this node included. For a node that {@link #join joins}
   * only its own entry is used (its addresses).
   */
  public List<MemberSpec> members() {
    return members;
  }

  /**
   * Whether this node starts without forming a group: it waits for the leader of a running
   * cluster to add it ({@code member add}) and then receives the log or a snapshot. Harmless once
   * it has joined: a node with data takes its membership from its log.
   */
  public boolean join() {
    return join;
  }

  /** Directory holding this node's Raft log, snapshots and store. */
  public Path dataDir() {
    return dataDir;
  }

  /** Entries applied between automatic snapshots. */
  public long snapshotThreshold() {
    return snapshotThreshold;
  }

  /**
   * Revisions of history the leader keeps before compacting older ones automatically; 0 when
   * automatic compaction is off (history then grows until compacted by hand).
   */
  public long historyRetention() {
    return historyRetention;
  }

  /**
   * Most KV requests (get, range, put, delete, txn, compact) this node works on at once; one more
   * is answered RESOURCE_EXHAUSTED at once.
   */
  public int maxInflightRequests() {
    return maxInflightRequests;
  }

  /** Largest Raft log segment in bytes; only whole closed segments are purged. */
  public long logSegmentBytes() {
    return logSegmentBytes;
  }

  /** Shortest election timeout. */
  public Duration electionTimeoutMin() {
    return electionTimeoutMin;
  }

  /** Longest election timeout. */
  public Duration electionTimeoutMax() {
    return electionTimeoutMax;
  }

  /** Request size limits. */
  public RequestLimits limits() {
    return limits;
  }

  /** The store is committed after at most this many applied writes. */
  public long storeCommitWrites() {
    return storeCommitWrites;
  }

  /** The store is committed at most this long after a write was applied. */
  public Duration storeCommitInterval() {
    return storeCommitInterval;
  }

  /**
   * Address of the Prometheus endpoint ({@code http://ADDRESS/metrics}); empty when metrics are
   * off. Port 0 asks the OS for a free port; {@link TernServer#metricsAddress()} tells which.
   */
  public Optional<HostPort> metricsAddress() {
    return Optional.ofNullable(metricsAddress);
  }

  /**
   * TLS on the client port: this node's certificate and key, and the CA that signs client
   * certificates (and other nodes' client-port certificates); empty for plaintext.
   */
  public Optional<TlsFiles> clientTls() {
    return Optional.ofNullable(clientTls);
  }

  /** Whether clients must present a certificate signed by the client port's CA. */
  public boolean clientCertAuth() {
    return clientCertAuth;
  }

  /** Mutual TLS on the Raft port: this node's peer certificate, key and the peer CA; empty for plaintext. */
  public Optional<TlsFiles> peerTls() {
    return Optional.ofNullable(peerTls);
  }

  @Override
  public String toString() {
    return "id="
        + nodeId
        + " client="
        + clientAddress
        + " raft="
        + raftAddress
        + " data-dir="
        + dataDir
        + " members="
        + members
        + " snapshot-threshold="
        + snapshotThreshold
        + " history-retention="
        + historyRetention
        + " log-segment-bytes="
        + logSegmentBytes
        + " election-timeout="
        + electionTimeoutMin.toMillis()
        + "-"
        + electionTimeoutMax.toMillis()
        + "ms max-key-bytes="
        + limits.maxKeyBytes()
        + " max-value-bytes="
        + limits.maxValueBytes()
        + " max-inflight-requests="
        + maxInflightRequests
        + " auth-token-ttl="
        + authTokenTtl.toMillis()
        + "ms metrics="
        + (metricsAddress == null ? "off" : metricsAddress)
        + " client-tls="
        + (clientTls == null ? "off" : clientCertAuth ? "on, client certificates required" : "on")
        + " peer-tls="
        + (peerTls == null ? "off" : "mutual")
        + (join ? " join" : "");
  }

  /** Mutable builder; not thread-safe. */
  public static final class Builder {
    private String nodeId;
    private HostPort clientAddress;
    private HostPort raftAddress;
    private List<MemberSpec> members = List.of();
    private Path dataDir;
    private long snapshotThreshold = DEFAULT_SNAPSHOT_THRESHOLD;
    private long historyRetention = DEFAULT_HISTORY_RETENTION;
    private int maxInflightRequests = DEFAULT_MAX_INFLIGHT_REQUESTS;
    private Duration authTokenTtl = DEFAULT_AUTH_TOKEN_TTL;
    private long logSegmentBytes = DEFAULT_LOG_SEGMENT_BYTES;
    private Duration electionTimeoutMin = DEFAULT_ELECTION_TIMEOUT_MIN;
    private Duration electionTimeoutMax = DEFAULT_ELECTION_TIMEOUT_MAX;
    private RequestLimits limits = RequestLimits.defaults();
    private long storeCommitWrites = DEFAULT_STORE_COMMIT_WRITES;
    private Duration storeCommitInterval = DEFAULT_STORE_COMMIT_INTERVAL;
    private HostPort metricsAddress;
    private boolean join;
    private TlsFiles clientTls;
    private boolean clientCertAuth;
    private TlsFiles peerTls;

    private Builder() {}

    /**
     * Serves clients over TLS with {@code files} (null, the default: plaintext). With {@code
     * requireClientCert}, a client must present a certificate signed by {@code files.ca()}.
     */
    public Builder clientTls(TlsFiles files, boolean requireClientCert) {
      this.clientTls = files;
      this.clientCertAuth = requireClientCert;
      return this;
    }

    /** Mutual TLS between peers with {@code files} (null, the default: plaintext); the CA is required. */
    public Builder peerTls(TlsFiles files) {
      this.peerTls = files;
      return this;
    }

    /**
     * Starts without forming a group, waiting to be added to a running cluster (see {@link
     * ServerConfig#join()}); default false.
     */
    public Builder join(boolean join) {
      this.join = join;
      return this;
    }

    /**
     * Serves Prometheus metrics over HTTP on {@code address} (path {@code /metrics}), bound to
     * that address only; null (the default) turns metrics off, and nothing is measured.
     */
    public Builder metricsAddress(HostPort address) {
      this.metricsAddress = address;
      return this;
    }

    /**
     * How often the store is committed: after {@code writes} applied writes or {@code interval},
     * whichever comes first. The Raft log is the durable record; entries not yet committed to the
     * store are replayed from it after a crash, so this trades recovery work for write cost.
     */
    public Builder storeCommit(long writes, Duration interval) {
      this.storeCommitWrites = writes;
      this.storeCommitInterval = interval;
      return this;
    }

    /** This node's id; must be one of the members. */
    public Builder nodeId(String nodeId) {
      this.nodeId = nodeId;
      return this;
    }

    /** Client address; defaults to this node's member entry. */
    public Builder clientAddress(HostPort clientAddress) {
      this.clientAddress = clientAddress;
      return this;
    }

    /** Raft address; defaults to this node's member entry. */
    public Builder raftAddress(HostPort raftAddress) {
      this.raftAddress = raftAddress;
      return this;
    }

    /** The group's initial members, this node included. */
    public Builder members(List<MemberSpec> members) {
      this.members = List.copyOf(members);
      return this;
    }

    /** Directory for this node's data (created if missing). */
    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    /** Revisions of history to keep (0: no automatic compaction); see {@link #historyRetention()}. */
    public Builder historyRetention(long revisions) {
      this.historyRetention = revisions;
      return this;
    }

    /** Most KV requests worked on at once (at least 1); see {@link #maxInflightRequests()}. */
    public Builder maxInflightRequests(int requests) {
      this.maxInflightRequests = requests;
      return this;
    }

    /** How long login tokens are valid (at least 1 s); see {@link #authTokenTtl()}. */
    public Builder authTokenTtl(Duration ttl) {
      this.authTokenTtl = ttl;
      return this;
    }

    /** Entries applied between automatic snapshots (at least 1). */
    public Builder snapshotThreshold(long entries) {
      this.snapshotThreshold = entries;
      return this;
    }

    /** Largest Raft log segment in bytes (at least 4 KiB). */
    public Builder logSegmentBytes(long bytes) {
      this.logSegmentBytes = bytes;
      return this;
    }

    /** Election timeout range. */
    public Builder electionTimeout(Duration min, Duration max) {
      this.electionTimeoutMin = min;
      this.electionTimeoutMax = max;
      return this;
    }

    /** Request size limits. */
    public Builder limits(RequestLimits limits) {
      this.limits = limits;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming the first bad setting
     */
    public ServerConfig build() {
      MemberSpec.checkId(nodeId);
      if (dataDir == null) {
        throw new IllegalArgumentException("data-dir must be set");
      }
      if (members.isEmpty()) {
        throw new IllegalArgumentException("members must list at least this node");
      }
      MemberSpec.checkUnique(members);
      MemberSpec self =
          members.stream()
              .filter(m -> m.id().equals(nodeId))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "members do not include this node's id '" + nodeId + "'"));
      if (clientAddress == null) {
        clientAddress = self.clientAddress();
      } else if (clientAddress.port() != self.clientAddress().port()) {
        throw new IllegalArgumentException(
            "client address " + clientAddress + " does not match the member entry " + self);
      }
      if (raftAddress == null) {
        raftAddress = self.raftAddress();
      } else if (raftAddress.port() != self.raftAddress().port()) {
        throw new IllegalArgumentException(
            "raft address " + raftAddress + " does not match the member entry " + self);
      }
      if (historyRetention < 0) {
        throw new IllegalArgumentException("history-retention must not be negative");
      }
      if (maxInflightRequests < 1) {
        throw new IllegalArgumentException("max-inflight-requests must be at least 1");
      }
      if (authTokenTtl == null || authTokenTtl.toMillis() < 1000) {
        throw new IllegalArgumentException("auth-token-ttl must be at least 1 s");
      }
      if (snapshotThreshold < 1) {
        throw new IllegalArgumentException("snapshot-threshold must be at least 1");
      }
      if (logSegmentBytes < 4096) {
        throw new IllegalArgumentException("log-segment-bytes must be at least 4096");
      }
      Objects.requireNonNull(electionTimeoutMin, "election-timeout-min");
      Objects.requireNonNull(electionTimeoutMax, "election-timeout-max");
      if (electionTimeoutMin.toMillis() < 50 || electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
        throw new IllegalArgumentException(
            "election timeout must be at least 50 ms with max > min");
      }
      if (limits.maxKeyBytes() < 1 || limits.maxValueBytes() < 0) {
        throw new IllegalArgumentException("max-key-bytes and max-value-bytes must be positive");
      }
      if (limits.maxValueBytes() > 3 * 1024 * 1024) {
        throw new IllegalArgumentException(
            "max-value-bytes must be at most 3 MiB (one log entry must fit the 4 MiB appender buffer)");
      }
      if (storeCommitWrites < 1 || storeCommitInterval == null || storeCommitInterval.toMillis() < 1) {
        throw new IllegalArgumentException(
            "store commit needs at least 1 write and an interval of at least 1 ms");
      }
      if (clientCertAuth && (clientTls == null || clientTls.ca() == null)) {
        throw new IllegalArgumentException(
            "client-cert-auth needs TLS on the client port with a CA (tls-cert, tls-key, tls-ca)");
      }
      if (peerTls != null && peerTls.ca() == null) {
        throw new IllegalArgumentException("peer TLS needs the peer CA (peer-tls-ca)");
      }
      return new ServerConfig(this);
    }
  }
}
