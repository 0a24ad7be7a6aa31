/**
 * gRPC services a node exposes to clients, and the one mapping from server exceptions to gRPC
 * statuses. Handlers validate, hand work to {@code raft} or read local state, and never block a
 * gRPC thread on replication.
 */
package io.ternkv.server.grpc;
