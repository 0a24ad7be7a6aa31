package io.ternkv.client;

/**
 * A finished backup.
 *
 * @param nodeId the node that sent it
 * @param revision the revision the backup reflects exactly
 * @param raftIndex the log index it reflects
 * @param keys number of keys in it
 * @param bytes size of the file
 * @param sha256 SHA-256 of the file, in hex, as the node computed it and the client checked it
 */
public record BackupResult(
    String nodeId, long revision, long raftIndex, long keys, long bytes, String sha256) {}
