package io.ternkv.client;

import java.util.List;

/** A user and the roles it holds (unmodifiable, sorted). */
public record UserInfo(String name, List<String> roles) {
  /** Copies the role list. */
  public UserInfo {
    roles = List.copyOf(roles);
  }
}
