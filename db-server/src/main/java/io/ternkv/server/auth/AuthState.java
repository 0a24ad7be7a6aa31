package io.ternkv.server.auth;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ternkv.proto.raft.v1.StoredAuthConfig;
import io.ternkv.proto.raft.v1.StoredPermission;
import io.ternkv.proto.raft.v1.StoredRole;
import io.ternkv.proto.raft.v1.StoredUser;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One decoded version of the replicated authentication state: the switch, the signing secret,
 * users and roles. The store keeps it as entries named {@value #CONFIG}, {@code user/NAME} and
 * {@code role/NAME}.
 *
 * <p>Threading: immutable (its span cache is concurrent), shared by every request thread.
 */
public final class AuthState {
  /** Entry name of the switch and secret. */
  public static final String CONFIG = "config";
  /** Entry name prefix of users. */
  public static final String USER_PREFIX = "user/";
  /** Entry name prefix of roles. */
  public static final String ROLE_PREFIX = "role/";
  /** The built-in role allowed everything, including cluster and auth administration. */
  public static final String ROOT = "root";

  /** The state of a store that never had auth entries. */
  public static final AuthState EMPTY = new AuthState(false, null, Map.of(), Map.of());

  private final boolean enabled;
  private final Tokens tokens;
  private final Map<String, StoredUser> users;
  private final Map<String, StoredRole> roles;
  private final Map<String, List<KeySpan>> readSpans = new ConcurrentHashMap<>();
  private final Map<String, List<KeySpan>> writeSpans = new ConcurrentHashMap<>();

  private AuthState(
      boolean enabled, Tokens tokens, Map<String, StoredUser> users, Map<String, StoredRole> roles) {
    this.enabled = enabled;
    this.tokens = tokens;
    this.users = users;
    this.roles = roles;
  }

  /** Decodes the store's auth entries. */
  public static AuthState decode(SortedMap<String, byte[]> entries) {
    if (entries.isEmpty()) {
      return EMPTY;
    }
    try {
      StoredAuthConfig config =
          entries.containsKey(CONFIG)
              ? StoredAuthConfig.parseFrom(entries.get(CONFIG))
              : StoredAuthConfig.getDefaultInstance();
      Map<String, StoredUser> users = new TreeMap<>();
      Map<String, StoredRole> roles = new TreeMap<>();
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        if (e.getKey().startsWith(USER_PREFIX)) {
          users.put(e.getKey().substring(USER_PREFIX.length()), StoredUser.parseFrom(e.getValue()));
        } else if (e.getKey().startsWith(ROLE_PREFIX)) {
          roles.put(e.getKey().substring(ROLE_PREFIX.length()), StoredRole.parseFrom(e.getValue()));
        }
      }
      Tokens tokens = config.getSecret().isEmpty() ? null : new Tokens(config.getSecret().toByteArray());
      return new AuthState(
          config.getEnabled() && tokens != null,
          tokens,
          Collections.unmodifiableMap(users),
          Collections.unmodifiableMap(roles));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt authentication record", e);
    }
  }

  /** Whether requests need credentials. */
  public boolean enabled() {
    return enabled;
  }

  /** The token signer and verifier; empty before authentication was first enabled. */
  public Optional<Tokens> tokens() {
    return Optional.ofNullable(tokens);
  }

  /** A user, if it exists. */
  public Optional<StoredUser> user(String name) {
    return Optional.ofNullable(users.get(name));
  }

  /** A role, if it exists (the built-in root role is not stored). */
  public Optional<StoredRole> role(String name) {
    return Optional.ofNullable(roles.get(name));
  }

  /** User names in order. */
  public List<String> userNames() {
    return List.copyOf(users.keySet());
  }

  /** Role names in order, root first. */
  public List<String> roleNames() {
    List<String> out = new ArrayList<>();
    out.add(ROOT);
    out.addAll(roles.keySet());
    return List.copyOf(out);
  }

  /** Whether some user holds the root role. */
  public boolean hasRootUser() {
    return users.values().stream().anyMatch(u -> u.getRolesList().contains(ROOT));
  }

  /** Whether {@code user} exists and holds the root role. */
  public boolean isRoot(String user) {
    StoredUser u = users.get(user);
    return u != null && u.getRolesList().contains(ROOT);
  }

  /** Whether {@code user} may have {@code access} to every key of {@code span}. */
  public boolean allows(String user, Access access, KeySpan span) {
    if (isRoot(user)) {
      return true;
    }
    Map<String, List<KeySpan>> cache = access == Access.READ ? readSpans : writeSpans;
    return Coverage.covers(cache.computeIfAbsent(user, u -> spans(u, access)), span);
  }

  private List<KeySpan> spans(String user, Access access) {
    StoredUser u = users.get(user);
    if (u == null) {
      return List.of();
    }
    List<KeySpan> out = new ArrayList<>();
    for (String roleName : u.getRolesList()) {
      StoredRole role = roles.get(roleName);
      if (role == null) {
        continue;
      }
      for (StoredPermission p : role.getPermissionsList()) {
        boolean fits =
            p.getType() == StoredPermission.Type.READWRITE
                || (access == Access.READ && p.getType() == StoredPermission.Type.READ)
                || (access == Access.WRITE && p.getType() == StoredPermission.Type.WRITE);
        if (fits) {
          out.add(
              new KeySpan(
                  p.getStart().toByteArray(), p.getEnd().isEmpty() ? null : p.getEnd().toByteArray()));
        }
      }
    }
    return List.copyOf(out);
  }
}
