package io.ternkv.server.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.ternkv.server.HostPort;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} in the Prometheus text format, on the JDK's HTTP server, bound to exactly
 * the address given. Anything else is 404 (other paths) or 405 (other methods).
 *
 * <p>Threading: requests are served one at a time on a daemon thread of its own.
 */
final class MetricsEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);

  /** The Prometheus text exposition format, which every Prometheus version scrapes. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final String nodeId;
  private final PrometheusMeterRegistry registry;
  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsEndpoint(String nodeId, PrometheusMeterRegistry registry, HttpServer server, ExecutorService executor) {
    this.nodeId = nodeId;
    this.registry = registry;
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds {@code address} (port 0: one the OS picks) and starts serving.
   *
   * @throws IOException when the address cannot be bound
   */
  static MetricsEndpoint start(String nodeId, HostPort address, PrometheusMeterRegistry registry)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(address.host(), address.port()), 16);
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, nodeId + "-metrics-http");
              t.setDaemon(true);
              return t;
            });
    MetricsEndpoint endpoint = new MetricsEndpoint(nodeId, registry, server, executor);
    server.createContext("/", endpoint::handle);
    server.setExecutor(executor);
    server.start();
    return endpoint;
  }

  /** The bound address, with the actual port. */
  HostPort address() {
    InetSocketAddress bound = server.getAddress();
    return new HostPort(bound.getAddress().getHostAddress(), bound.getPort());
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!exchange.getRequestURI().getPath().equals("/metrics")) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
      try {
        registry.scrape(body, CONTENT_TYPE);
      } catch (IOException | RuntimeException e) {
        LOG.warn("{}: metrics scrape failed: {}", nodeId, e.toString());
        exchange.sendResponseHeaders(500, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.size());
      try (OutputStream out = exchange.getResponseBody()) {
        body.writeTo(out);
      }
    }
  }

  /** Stops listening at once (a scrape in progress is cut off). */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
