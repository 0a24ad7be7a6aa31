package io.ternkv.client;

import java.time.Duration;

/**
 * A granted lease: keys put with its id are deleted, on every node at one revision, when it
 * expires (no keep-alive for {@code ttl}, as the leader measures it) or is revoked.
 *
 * @param id the lease's id, for {@code put(key, value, id)}, keep-alives and revocation
 * @param ttl how long the lease lives after its last keep-alive
 */
public record Lease(long id, Duration ttl) {}
