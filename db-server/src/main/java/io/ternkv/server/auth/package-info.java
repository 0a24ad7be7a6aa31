/**
 * Authentication and authorization: password hashes, signed tokens, the decoded replicated state
 * of users and roles, the interceptor that puts the caller's identity into the gRPC context and
 * the checks the services make once they know which keys a request touches. The state itself is
 * replicated through the Raft log and kept by the store; this package only reads it.
 */
package io.ternkv.server.auth;
