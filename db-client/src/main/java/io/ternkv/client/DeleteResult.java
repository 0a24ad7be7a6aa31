package io.ternkv.client;

/**
 * An acknowledged delete.
 *
 * @param deleted how many keys it deleted (0 when the key did not exist)
 * @param header the answering node and the state after the delete
 */
public record DeleteResult(long deleted, ResponseHeader header) {}
