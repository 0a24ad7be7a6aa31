/**
 * Client internals: request routing and retries, and the mapping from gRPC statuses to {@link
 * io.ternkv.client.TernException}s. Not part of the public API.
 */
package io.ternkv.client.internal;
