package io.ternkv.client;

/** Why a TernKV call failed, independent of the transport. */
public enum ErrorCode {
  /** The request is malformed or over a limit; retrying it unchanged fails again. */
  INVALID_ARGUMENT,
  /** The node asked is not the leader; the exception may name the leader. Retriable. */
  NOT_LEADER,
  /** No node could serve the request now (no leader, node down, node behind). Retriable. */
  UNAVAILABLE,
  /** The request timeout passed; a write may or may not have been applied. */
  TIMEOUT,
  /** A node is over a pending-request limit. Retriable after a pause. */
  RESOURCE_EXHAUSTED,
  /** The cluster's state does not allow the request (e.g. a membership conflict). */
  FAILED_PRECONDITION,
  /** The request names a revision or index outside what the cluster keeps. */
  OUT_OF_RANGE,
  /** No or bad credentials. */
  UNAUTHENTICATED,
  /** Authenticated, but not allowed. */
  PERMISSION_DENIED,
  /** Stored data is corrupt. */
  DATA_LOSS,
  /** The calling thread was interrupted or the call was cancelled. */
  CANCELLED,
  /** A bug on the server or in the client. */
  INTERNAL
}
