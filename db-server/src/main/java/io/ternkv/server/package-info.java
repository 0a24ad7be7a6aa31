/**
 * The TernKV storage node: {@link io.ternkv.server.TernServer} (one node), its immutable {@link
 * io.ternkv.server.ServerConfig}, and {@link io.ternkv.server.LocalCluster} (N nodes in one JVM for
 * the demo, tests and benchmarks). Sub-packages split the request path by concern: {@code grpc}
 * (client-facing services), {@code raft} (everything that touches Apache Ratis), {@code apply}
 * (deterministic command execution), {@code storage} (everything that touches H2 MVStore),
 * {@code membership} (adding and removing nodes, moving leadership) and {@code metrics}
 * (everything that touches Micrometer).
 */
package io.ternkv.server;
