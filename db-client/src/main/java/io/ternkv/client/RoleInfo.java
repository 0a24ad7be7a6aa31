package io.ternkv.client;

import java.util.List;

/** A role and its permissions (unmodifiable); the built-in {@code root} role shows all keys. */
public record RoleInfo(String name, List<RolePermission> permissions) {
  /** Copies the permission list. */
  public RoleInfo {
    permissions = List.copyOf(permissions);
  }
}
