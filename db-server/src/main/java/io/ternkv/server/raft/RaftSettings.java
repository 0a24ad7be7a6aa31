package io.ternkv.server.raft;

import io.ternkv.server.ServerConfig;
import io.ternkv.server.tls.NodeTls;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslProvider;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/** The only place that builds Ratis {@link RaftProperties}: every Raft setting lives here. */
final class RaftSettings {
  /**
   * Settings the consistency levels rest on (ReadIndex for LINEARIZABLE, pre-vote for LEASE, and
   * no server-wide Ratis lease): the measurement escape hatch below must not change them.
   */
  static final Set<String> GUARANTEE_KEYS =
      Set.of(
          RaftServerConfigKeys.Read.OPTION_KEY,
          RaftServerConfigKeys.LeaderElection.PRE_VOTE_KEY,
          RaftServerConfigKeys.Read.LEADER_LEASE_ENABLED_KEY,
          RaftServerConfigKeys.Rpc.TIMEOUT_MIN_KEY,
          RaftServerConfigKeys.Rpc.TIMEOUT_MAX_KEY,
          RaftServerConfigKeys.Log.UNSAFE_FLUSH_ENABLED_KEY);

  /** Largest message on the Raft port. */
  static final String MESSAGE_SIZE_MAX = "5MB";

  /** Largest piece of a snapshot sent in one message; well under {@link #MESSAGE_SIZE_MAX}. */
  static final String SNAPSHOT_CHUNK_MAX = "1MB";

  /** Shortest time a node being added may go without answering the leader. */
  static final long STAGING_TIMEOUT_MIN_MS = 15_000;

  private RaftSettings() {}

  static RaftProperties of(ServerConfig config) {
    RaftProperties p = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(p, List.of(config.dataDir().resolve("raft").toFile()));
    GrpcConfigKeys.Server.setHost(p, config.raftAddress().host());
    GrpcConfigKeys.Server.setPort(p, config.raftAddress().port());

    // Linearizable reads use ReadIndex; reads that may be stale bypass Ratis entirely.
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);

    RaftServerConfigKeys.Rpc.setTimeoutMin(p, millis(config.electionTimeoutMin().toMillis()));
    // Pre-vote makes followers that heard from the leader recently refuse other candidates:
    // LeaseTracker's safety argument depends on it.
    RaftServerConfigKeys.LeaderElection.setPreVote(p, true);
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, millis(config.electionTimeoutMax().toMillis()));

    // Snapshots every N entries; the log below a snapshot is purged even when a follower is
    // down (it then catches up by snapshot install instead of blocking purge forever).
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotThreshold());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(config.snapshotThreshold(), 1024));
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(config.logSegmentBytes()));

    // A node being added is dropped when it has not answered the leader for this long. Ratis's
    // default, 3 election timeouts, fails joins of nodes still warming up or installing a snapshot
    // on a busy machine (seen); an unreachable node is caught before, over its client port.
    RaftServerConfigKeys.setStagingTimeout(
        p, millis(Math.max(STAGING_TIMEOUT_MIN_MS, 20 * config.electionTimeoutMax().toMillis())));

    // Largest entry is bounded by the appender buffer (4 MiB); messages need 1 MiB more.
    GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(MESSAGE_SIZE_MAX));
    // Snapshots travel in chunks of at most this; Ratis's default (16 MiB) is over the message
    // limit, and a lagging follower then never gets any snapshot over 5 MiB (the leader retries
    // the refused chunk forever).
    RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, SizeInBytes.valueOf(SNAPSHOT_CHUNK_MAX));

    // Ratis waits at least 10 ms between two appendEntries to a follower by default, which set the
    // floor of a lone client's put (p50 19.7 ms in-process, 7.7 ms in separate processes); with no
    // wait it was 4.8-5.8 ms in-process, and the appender sends as soon as entries are there.
    RaftServerConfigKeys.Log.Appender.setWaitTimeMin(p, TimeDuration.ZERO);

    // Ratis's commit-index metadata entries stay on, though every write then takes two entries
    // through the log (puts at 64 in flight were 17% faster without them, 2026-12-08): the entry
    // that follows a commit is what tells the followers about it at once. Without it they learn it
    // from the next heartbeat, up to half an election timeout later, and a write with WRITE_ALL,
    // a SESSION read on a follower or a follower's STALE view of the last write waits that long.

    // Expert escape hatch for measurements: -Draft.server.x=y overrides any Ratis key above.
    for (String key : System.getProperties().stringPropertyNames()) {
      if (key.startsWith("raft.")) {
        if (GUARANTEE_KEYS.contains(key)) {
          throw new IllegalArgumentException(
              "-D" + key + " cannot be overridden: TernKV's read guarantees depend on it");
        }
        p.set(key, System.getProperty(key));
      }
    }
    return p;
  }

  /**
   * Ratis's non-property settings: mutual TLS on the Raft port when the node has peer
   * certificates. One {@link GrpcTlsConfig} for every Ratis channel (server, client, admin; they
   * share the Raft port), with our reloading key and trust managers, so replaced certificate files
   * reach new Raft connections without a restart. Java's TLS (JDK provider), TLS 1.2 and 1.3 only;
   * Ratis checks the peer's host name against its certificate on the client side.
   */
  static Parameters parameters(NodeTls tls) {
    Parameters parameters = new Parameters();
    if (tls.peerKeyManager().isPresent()) {
      GrpcTlsConfig conf =
          GrpcTlsConfig.newBuilder()
              .setName("peer")
              .setKeyManager(tls.peerKeyManager().get())
              .setTrustManager(tls.peerTrustManager().orElseThrow())
              .setMutualTls(true)
              .setSslProvider(SslProvider.JDK)
              .setProtocols(NodeTls.PROTOCOLS)
              .build();
      GrpcConfigKeys.TLS.setConf(parameters, conf);
    }
    return parameters;
  }

  private static TimeDuration millis(long ms) {
    return TimeDuration.valueOf(ms, TimeUnit.MILLISECONDS);
  }
}
