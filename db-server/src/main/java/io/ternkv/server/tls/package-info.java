/**
 * TLS for a node's two ports: certificates read from PEM files and reloaded when they change on
 * disk (or on request, e.g. SIGHUP), shared by the client gRPC server, Ratis's peer transport and
 * the node's own calls to other nodes. Java's standard TLS (JSSE), TLS 1.2 and 1.3 only.
 */
package io.ternkv.server.tls;
