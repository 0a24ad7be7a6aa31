package io.ternkv.server.apply;

/**
 * What applying one command produced.
 *
 * @param revision store revision after the command
 * @param deleted number of keys the command deleted
 */
public record ApplyResult(long revision, long deleted) {}
