package io.ternkv.client;

/**
 * One permission of a role: {@code type} on every key of {@code keys} (a single key is the range
 * from the key to the key followed by a zero byte).
 */
public record RolePermission(PermissionType type, KeyRange keys) {}
