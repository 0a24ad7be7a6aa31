/**
 * A node's metrics: the only code that touches Micrometer. {@link
 * io.ternkv.server.metrics.NodeMetrics} owns one Prometheus registry per node (nodes in one JVM do
 * not share meters), serves it over HTTP with the JDK's own server, measures gRPC calls through an
 * interceptor and Raft through {@link io.ternkv.server.raft.RaftEvents}. A node started without a
 * metrics address builds none of this and measures nothing.
 */
package io.ternkv.server.metrics;
