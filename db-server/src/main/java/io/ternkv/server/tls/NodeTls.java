package io.ternkv.server.tls;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.ternkv.server.ServerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's TLS material for both ports, loaded once at start and checked for changes on disk
 * every {@link #RELOAD_INTERVAL} (and at once by {@link #reload}, which {@code tern server} calls on
 * SIGHUP). New connections use the new certificates; connections already open keep the session
 * they negotiated.
 *
 * <ul>
 *   <li>Client port: the node's certificate, and with client certificate authentication the CA
 *       that signed the clients' certificates. The node's own calls to other nodes' client ports
 *       (WRITE_ALL confirmations) trust that CA too and present the same certificate.
 *   <li>Raft port: mutual TLS; each side presents its peer certificate and accepts only a peer
 *       certificate from the peer CA.
 * </ul>
 *
 * <p>Threading: thread-safe.
 */
public final class NodeTls implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeTls.class);

  /** How often the certificate files are checked for changes. */
  public static final Duration RELOAD_INTERVAL = Duration.ofSeconds(5);

  /** TLS versions offered and accepted on every port. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /** No TLS anywhere: both ports in plaintext. */
  public static final NodeTls NONE = new NodeTls("-", null, null, false, null, null);

  private final String nodeId;
  private final ReloadingKeyManager clientKeys;
  private final ReloadingTrustManager clientCa;
  private final boolean requireClientCert;
  private final ReloadingKeyManager peerKeys;
  private final ReloadingTrustManager peerCa;
  private final ScheduledExecutorService watcher;

  private NodeTls(
      String nodeId,
      ReloadingKeyManager clientKeys,
      ReloadingTrustManager clientCa,
      boolean requireClientCert,
      ReloadingKeyManager peerKeys,
      ReloadingTrustManager peerCa) {
    this.nodeId = nodeId;
    this.clientKeys = clientKeys;
    this.clientCa = clientCa;
    this.requireClientCert = requireClientCert;
    this.peerKeys = peerKeys;
    this.peerCa = peerCa;
    if (clientCa != null) {
      clientCa.reportRefusalsTo(m -> LOG.warn("{}: refused a client certificate from {}", nodeId, m));
    }
    if (peerCa != null) {
      // Anyone reaching the Raft port without a certificate from the peer CA: a misconfigured
      // node, or someone trying to join or disturb the group.
      peerCa.reportRefusalsTo(m -> LOG.warn("{}: refused a Raft peer certificate from {}", nodeId, m));
    }
    if (clientKeys == null && peerKeys == null) {
      this.watcher = null;
    } else {
      this.watcher =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, nodeId + "-tls-reload");
                t.setDaemon(true);
                return t;
              });
      long every = RELOAD_INTERVAL.toMillis();
      watcher.scheduleWithFixedDelay(this::reloadQuietly, every, every, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Loads the configured certificates and starts watching them.
   *
   * @throws IOException naming the file when a certificate, key or CA cannot be used
   */
  public static NodeTls open(ServerConfig config) throws IOException {
    if (config.clientTls().isEmpty() && config.peerTls().isEmpty()) {
      return NONE;
    }
    ReloadingKeyManager clientKeys = null;
    ReloadingTrustManager clientCa = null;
    if (config.clientTls().isPresent()) {
      TlsFiles f = config.clientTls().get();
      clientKeys = ReloadingKeyManager.load("client", f.cert(), f.key());
      clientCa = f.ca() == null ? null : ReloadingTrustManager.load(f.ca());
    }
    ReloadingKeyManager peerKeys = null;
    ReloadingTrustManager peerCa = null;
    if (config.peerTls().isPresent()) {
      TlsFiles f = config.peerTls().get();
      peerKeys = ReloadingKeyManager.load("peer", f.cert(), f.key());
      peerCa = ReloadingTrustManager.load(f.ca());
    }
    return new NodeTls(
        config.nodeId(), clientKeys, clientCa, config.clientCertAuth(), peerKeys, peerCa);
  }

  /** Whether the client port speaks TLS. */
  public boolean clientPortTls() {
    return clientKeys != null;
  }

  /**
   * The TLS context of the client port's gRPC server; empty for plaintext.
   *
   * @throws SSLException when the JDK refuses the settings
   */
  public Optional<SslContext> clientPortServerContext() throws SSLException {
    if (clientKeys == null) {
      return Optional.empty();
    }
    SslContextBuilder b =
        GrpcSslContexts.configure(SslContextBuilder.forServer(clientKeys), SslProvider.JDK)
            .protocols(PROTOCOLS);
    if (requireClientCert) {
      b.clientAuth(ClientAuth.REQUIRE).trustManager(clientCa);
    } else if (clientCa != null) {
      // A client may still present a certificate; it is checked, not required.
      b.clientAuth(ClientAuth.OPTIONAL).trustManager(clientCa);
    }
    return Optional.of(b.build());
  }

  /**
   * A channel from this node to another node's client port, in TLS when this node's client port
   * is (the cluster's nodes share one setting).
   */
  public ManagedChannel channelToClientPort(String address) {
    NettyChannelBuilder b = NettyChannelBuilder.forTarget(address);
    if (clientKeys == null) {
      return b.usePlaintext().build();
    }
    try {
      SslContextBuilder ssl =
          GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
              .protocols(PROTOCOLS)
              .keyManager(clientKeys)
              .trustManager(clientCa != null ? clientCa : systemTrust());
      return b.sslContext(ssl.build()).build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS to " + address + ": " + e.getMessage(), e);
    }
  }

  private static TrustManager systemTrust() {
    try {
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init((java.security.KeyStore) null);
      for (TrustManager tm : f.getTrustManagers()) {
        if (tm instanceof X509TrustManager) {
          return tm;
        }
      }
      throw new IllegalStateException("the JDK has no default X509 trust manager");
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the JDK's trust store: " + e.getMessage(), e);
    }
  }

  /** The Raft port's key manager (this node's peer certificate); empty for plaintext Raft. */
  public Optional<KeyManager> peerKeyManager() {
    return Optional.ofNullable(peerKeys);
  }

  /** The Raft port's trust manager (the peer CA); empty for plaintext Raft. */
  public Optional<TrustManager> peerTrustManager() {
    return Optional.ofNullable(peerCa);
  }

  /**
   * Re-reads every certificate, key and CA file that changed since it was last read. A file that
   * changed but cannot be used (half written, key and certificate not matching yet) is reported
   * and the old material stays in use; the next check tries again.
   *
   * @return one line per file set that was replaced or refused
   */
  public List<String> reload() {
    List<String> report = new ArrayList<>();
    check(report, "client certificate", clientKeys == null ? null : clientKeys::reloadIfChanged);
    check(report, "client CA", clientCa == null ? null : clientCa::reloadIfChanged);
    check(report, "peer certificate", peerKeys == null ? null : peerKeys::reloadIfChanged);
    check(report, "peer CA", peerCa == null ? null : peerCa::reloadIfChanged);
    return List.copyOf(report);
  }

  private interface Reload {
    boolean run() throws IOException;
  }

  private void check(List<String> report, String what, Reload reload) {
    if (reload == null) {
      return;
    }
    try {
      if (reload.run()) {
        LOG.info("{}: reloaded the {} from disk", nodeId, what);
        report.add("reloaded the " + what);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("{}: the {} changed on disk but cannot be used, keeping the old one: {}", nodeId, what, e.getMessage());
      report.add("kept the old " + what + ": " + e.getMessage());
    }
  }

  private void reloadQuietly() {
    reload();
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.shutdownNow();
    }
  }
}
