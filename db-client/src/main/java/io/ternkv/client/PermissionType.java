package io.ternkv.client;

/** What a role's permission allows on its keys. */
public enum PermissionType {
  /** Get, range, watch, and compares in transactions. */
  READ,
  /** Put and delete. */
  WRITE,
  /** Both. */
  READWRITE
}
