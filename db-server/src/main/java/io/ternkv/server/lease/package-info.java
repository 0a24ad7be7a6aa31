/**
 * Lease expiry: the leader's clock decides when a lease has gone too long without a keep-alive,
 * and the decision is replicated as a revocation. Only the leader keeps deadlines; they are
 * rebuilt (generously) whenever a node becomes leader.
 */
package io.ternkv.server.lease;
