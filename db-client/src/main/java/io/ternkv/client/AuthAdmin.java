package io.ternkv.client;

import com.google.protobuf.ByteString;
import io.ternkv.client.internal.Caller;
import io.ternkv.proto.v1.AuthDisableRequest;
import io.ternkv.proto.v1.AuthEnableRequest;
import io.ternkv.proto.v1.AuthGrpc;
import io.ternkv.proto.v1.AuthStatusRequest;
import io.ternkv.proto.v1.Permission;
import io.ternkv.proto.v1.RoleAddRequest;
import io.ternkv.proto.v1.RoleDeleteRequest;
import io.ternkv.proto.v1.RoleGetRequest;
import io.ternkv.proto.v1.RoleGrantPermissionRequest;
import io.ternkv.proto.v1.RoleListRequest;
import io.ternkv.proto.v1.RoleRevokePermissionRequest;
import io.ternkv.proto.v1.UserAddRequest;
import io.ternkv.proto.v1.UserChangePasswordRequest;
import io.ternkv.proto.v1.UserDeleteRequest;
import io.ternkv.proto.v1.UserGetRequest;
import io.ternkv.proto.v1.UserGrantRoleRequest;
import io.ternkv.proto.v1.UserListRequest;
import io.ternkv.proto.v1.UserRevokeRoleRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Administration of authentication: the switch, users and roles. Obtained from {@link
 * TernClient#auth()}; shares its client's connections, credentials and timeouts.
 *
 * <p>While authentication is disabled anyone may call these; once enabled, every method but
 * {@link #status()} needs a user with the {@code root} role. Changes go through the Raft log and
 * are acknowledged once durable on a majority; passwords are hashed by the node that receives
 * them, and only the hash is replicated and stored.
 *
 * <p>Errors: {@link InvalidArgumentException} for a malformed name, password or range; a {@link
 * TernException} with {@link ErrorCode#FAILED_PRECONDITION} when the state does not allow the
 * change (a user or role that does not exist or already exists, enabling without a root user,
 * removing the last root user while enabled); {@link PermissionDeniedException} for a caller
 * without the root role; {@link AuthenticationException} without valid credentials; {@link
 * RequestTimeoutException} when no leader answered in time (a change may still have been
 * applied).
 *
 * <p>Threading: thread-safe; futures complete on the client's gRPC or timer threads.
 */
public final class AuthAdmin {
  private final Caller caller;

  AuthAdmin(Caller caller) {
    this.caller = caller;
  }

  /**
   * Turns authentication on; from then on every call needs credentials. Needs a user with the
   * {@code root} role (FAILED_PRECONDITION otherwise). Does nothing when already on.
   */
  public CompletableFuture<Void> enableAsync() {
    return caller.call(AuthGrpc.getAuthEnableMethod(), AuthEnableRequest.getDefaultInstance()).thenApply(r -> null);
  }

  /** Blocking {@link #enableAsync()}. */
  public void enable() {
    TernClient.await(enableAsync());
  }

  /** Turns authentication off (root only): every call is then allowed without credentials. */
  public CompletableFuture<Void> disableAsync() {
    return caller.call(AuthGrpc.getAuthDisableMethod(), AuthDisableRequest.getDefaultInstance()).thenApply(r -> null);
  }

  /** Blocking {@link #disableAsync()}. */
  public void disable() {
    TernClient.await(disableAsync());
  }

  /** Whether authentication is on, and who this client is, as the answering node sees it. */
  public CompletableFuture<AuthStatus> statusAsync() {
    return caller
        .call(AuthGrpc.getAuthStatusMethod(), AuthStatusRequest.getDefaultInstance())
        .thenApply(r -> new AuthStatus(r.getEnabled(), r.getUser().isEmpty() ? Optional.empty() : Optional.of(r.getUser())));
  }

  /** Blocking {@link #statusAsync()}. */
  public AuthStatus status() {
    return TernClient.await(statusAsync());
  }

  /** Adds a user without roles. */
  public CompletableFuture<Void> addUserAsync(String name, String password) {
    return done(
        caller.call(
            AuthGrpc.getUserAddMethod(),
            UserAddRequest.newBuilder().setName(req(name, "name")).setPassword(req(password, "password")).build()));
  }

  /** Blocking {@link #addUserAsync}. */
  public void addUser(String name, String password) {
    TernClient.await(addUserAsync(name, password));
  }

  /** Deletes a user; its tokens stop working at once. */
  public CompletableFuture<Void> deleteUserAsync(String name) {
    return done(caller.call(AuthGrpc.getUserDeleteMethod(), UserDeleteRequest.newBuilder().setName(req(name, "name")).build()));
  }

  /** Blocking {@link #deleteUserAsync}. */
  public void deleteUser(String name) {
    TernClient.await(deleteUserAsync(name));
  }

  /** Sets a user's password; tokens issued before stop working. */
  public CompletableFuture<Void> changePasswordAsync(String name, String password) {
    return done(
        caller.call(
            AuthGrpc.getUserChangePasswordMethod(),
            UserChangePasswordRequest.newBuilder().setName(req(name, "name")).setPassword(req(password, "password")).build()));
  }

  /** Blocking {@link #changePasswordAsync}. */
  public void changePassword(String name, String password) {
    TernClient.await(changePasswordAsync(name, password));
  }

  /** Gives a user a role ({@code root} or one added with {@link #addRole}). */
  public CompletableFuture<Void> grantRoleAsync(String user, String role) {
    return done(
        caller.call(
            AuthGrpc.getUserGrantRoleMethod(),
            UserGrantRoleRequest.newBuilder().setUser(req(user, "user")).setRole(req(role, "role")).build()));
  }

  /** Blocking {@link #grantRoleAsync}. */
  public void grantRole(String user, String role) {
    TernClient.await(grantRoleAsync(user, role));
  }

  /** Takes a role from a user. */
  public CompletableFuture<Void> revokeRoleAsync(String user, String role) {
    return done(
        caller.call(
            AuthGrpc.getUserRevokeRoleMethod(),
            UserRevokeRoleRequest.newBuilder().setUser(req(user, "user")).setRole(req(role, "role")).build()));
  }

  /** Blocking {@link #revokeRoleAsync}. */
  public void revokeRole(String user, String role) {
    TernClient.await(revokeRoleAsync(user, role));
  }

  /** A user and its roles; FAILED_PRECONDITION when it does not exist. */
  public CompletableFuture<UserInfo> userAsync(String name) {
    return caller
        .call(AuthGrpc.getUserGetMethod(), UserGetRequest.newBuilder().setName(req(name, "name")).build())
        .thenApply(r -> new UserInfo(r.getName(), r.getRolesList()));
  }

  /** Blocking {@link #userAsync}. */
  public UserInfo user(String name) {
    return TernClient.await(userAsync(name));
  }

  /** Every user name, in order. */
  public CompletableFuture<List<String>> usersAsync() {
    return caller
        .call(AuthGrpc.getUserListMethod(), UserListRequest.getDefaultInstance())
        .thenApply(r -> List.copyOf(r.getUsersList()));
  }

  /** Blocking {@link #usersAsync}. */
  public List<String> users() {
    return TernClient.await(usersAsync());
  }

  /** Adds a role without permissions. */
  public CompletableFuture<Void> addRoleAsync(String name) {
    return done(caller.call(AuthGrpc.getRoleAddMethod(), RoleAddRequest.newBuilder().setName(req(name, "name")).build()));
  }

  /** Blocking {@link #addRoleAsync}. */
  public void addRole(String name) {
    TernClient.await(addRoleAsync(name));
  }

  /** Deletes a role and takes it from every user. */
  public CompletableFuture<Void> deleteRoleAsync(String name) {
    return done(caller.call(AuthGrpc.getRoleDeleteMethod(), RoleDeleteRequest.newBuilder().setName(req(name, "name")).build()));
  }

  /** Blocking {@link #deleteRoleAsync}. */
  public void deleteRole(String name) {
    TernClient.await(deleteRoleAsync(name));
  }

  /**
   * Allows {@code type} on every key of {@code keys} to a role (replacing a permission the role
   * has on exactly the same keys).
   */
  public CompletableFuture<Void> grantPermissionAsync(String role, PermissionType type, KeyRange keys) {
    Objects.requireNonNull(type, "type");
    Permission p = wire(keys).toBuilder().setType(Permission.Type.valueOf(type.name())).build();
    return done(
        caller.call(
            AuthGrpc.getRoleGrantPermissionMethod(),
            RoleGrantPermissionRequest.newBuilder().setName(req(role, "role")).setPermission(p).build()));
  }

  /** Blocking {@link #grantPermissionAsync(String, PermissionType, KeyRange)}. */
  public void grantPermission(String role, PermissionType type, KeyRange keys) {
    TernClient.await(grantPermissionAsync(role, type, keys));
  }

  /** Allows {@code type} on one key to a role. */
  public void grantPermission(String role, PermissionType type, byte[] key) {
    grantPermission(role, type, single(key));
  }

  /** Removes a role's permission on exactly {@code keys}. */
  public CompletableFuture<Void> revokePermissionAsync(String role, KeyRange keys) {
    Permission p = wire(keys);
    return done(
        caller.call(
            AuthGrpc.getRoleRevokePermissionMethod(),
            RoleRevokePermissionRequest.newBuilder()
                .setName(req(role, "role"))
                .setKey(p.getKey())
                .setRangeEnd(p.getRangeEnd())
                .build()));
  }

  /** Blocking {@link #revokePermissionAsync}. */
  public void revokePermission(String role, KeyRange keys) {
    TernClient.await(revokePermissionAsync(role, keys));
  }

  /** A role and its permissions; FAILED_PRECONDITION when it does not exist. */
  public CompletableFuture<RoleInfo> roleAsync(String name) {
    return caller
        .call(AuthGrpc.getRoleGetMethod(), RoleGetRequest.newBuilder().setName(req(name, "name")).build())
        .thenApply(
            r -> {
              List<RolePermission> out = new ArrayList<>();
              for (Permission p : r.getPermissionsList()) {
                out.add(new RolePermission(PermissionType.valueOf(p.getType().name()), keys(p)));
              }
              return new RoleInfo(r.getName(), out);
            });
  }

  /** Blocking {@link #roleAsync}. */
  public RoleInfo role(String name) {
    return TernClient.await(roleAsync(name));
  }

  /** Every role name ({@code root} first). */
  public CompletableFuture<List<String>> rolesAsync() {
    return caller
        .call(AuthGrpc.getRoleListMethod(), RoleListRequest.getDefaultInstance())
        .thenApply(r -> List.copyOf(r.getRolesList()));
  }

  /** Blocking {@link #rolesAsync}. */
  public List<String> roles() {
    return TernClient.await(rolesAsync());
  }

  /** The range of one key: from the key to the key followed by a zero byte. */
  public static KeyRange single(byte[] key) {
    Objects.requireNonNull(key, "key");
    return KeyRange.between(key, Arrays.copyOf(key, key.length + 1));
  }

  private static final ByteString NO_END = ByteString.copyFrom(new byte[] {0});

  /** The wire form of a range: range_end "\0" is no end, empty the key alone. */
  static Permission wire(KeyRange keys) {
    Objects.requireNonNull(keys, "keys");
    byte[] start;
    byte[] end;
    if (keys.prefixRef().length > 0) {
      start = keys.prefixRef();
      end = prefixEnd(start);
    } else {
      start = keys.startRef();
      end = keys.endRef().length == 0 ? null : keys.endRef();
    }
    return Permission.newBuilder()
        .setKey(ByteString.copyFrom(start))
        .setRangeEnd(end == null ? NO_END : ByteString.copyFrom(end))
        .build();
  }

  static KeyRange keys(Permission p) {
    byte[] key = p.getKey().toByteArray();
    if (p.getRangeEnd().isEmpty()) {
      return single(key);
    }
    if (p.getRangeEnd().equals(NO_END)) {
      return key.length == 0 ? KeyRange.all() : KeyRange.between(key, null);
    }
    byte[] end = p.getRangeEnd().toByteArray();
    byte[] pe = prefixEnd(key);
    if (key.length > 0 && pe != null && Arrays.equals(pe, end)) {
      return KeyRange.prefix(key);
    }
    return KeyRange.between(key, end);
  }

  private static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xFF) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return null;
  }

  private static String req(String s, String field) {
    return Objects.requireNonNull(s, field);
  }

  private static CompletableFuture<Void> done(CompletableFuture<?> f) {
    return f.thenApply(r -> null);
  }
}
