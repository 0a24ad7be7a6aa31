package io.ternkv.client;

import java.util.Optional;

/**
 * Whether the answering node has authentication enabled, and which user this client is to it
 * (empty when it sent no valid credentials).
 */
public record AuthStatus(boolean enabled, Optional<String> user) {}
