package io.ternkv.server.apply;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ternkv.proto.raft.v1.AuthCommand;
import io.ternkv.proto.raft.v1.AuthRolePermission;
import io.ternkv.proto.raft.v1.AuthUserPut;
import io.ternkv.proto.raft.v1.AuthUserRole;
import io.ternkv.proto.raft.v1.StoredAuthConfig;
import io.ternkv.proto.raft.v1.StoredPermission;
import io.ternkv.proto.raft.v1.StoredRole;
import io.ternkv.proto.raft.v1.StoredUser;
import io.ternkv.server.FailedPreconditionException;
import io.ternkv.server.auth.AuthState;
import io.ternkv.server.storage.AppliedState;
import io.ternkv.server.storage.KvStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies changes of users, roles and the authentication switch. They change no key and take no
 * revision. Whether a change is allowed by the state (a user that exists, the last root user) is
 * decided here, so every node decides the same.
 */
final class AuthOp {
  private AuthOp() {}

  static ApplyResult apply(
      KvStore.Writer w, AuthCommand command, AppliedState before, long term, long index) {
    RuntimeException refused =
        switch (command.getOpCase()) {
          case ENABLE -> enable(w, command.getEnable().getSecret().toByteArray());
          case DISABLE -> setConfig(w, config(w).toBuilder().setEnabled(false).build());
          case USER_PUT -> userPut(w, command.getUserPut(), index);
          case USER_DELETE -> userDelete(w, command.getUserDelete());
          case USER_GRANT_ROLE -> grantRole(w, command.getUserGrantRole());
          case USER_REVOKE_ROLE -> revokeRole(w, command.getUserRevokeRole());
          case ROLE_ADD -> roleAdd(w, command.getRoleAdd());
          case ROLE_DELETE -> roleDelete(w, command.getRoleDelete());
          case ROLE_GRANT -> roleGrant(w, command.getRoleGrant());
          case ROLE_REVOKE -> roleRevoke(w, command.getRoleRevoke());
          case OP_NOT_SET -> throw new IllegalStateException(
              "log entry " + index + " holds an auth command this version does not know");
        };
    if (refused != null) {
      return ApplyResult.refused(w, before, term, index, refused);
    }
    w.setApplied(new AppliedState(term, index, before.revision()));
    return ApplyResult.at(before.revision());
  }

  private static RuntimeException enable(KvStore.Writer w, byte[] secret) {
    boolean root = false;
    for (String name : w.authNames(AuthState.USER_PREFIX)) {
      if (user(w, name.substring(AuthState.USER_PREFIX.length())).orElseThrow().getRolesList().contains(AuthState.ROOT)) {
        root = true;
        break;
      }
    }
    if (!root) {
      return new FailedPreconditionException(
          "authentication needs a user with the root role first (user add root; user grant-role root root)");
    }
    return setConfig(
        w,
        StoredAuthConfig.newBuilder()
            .setEnabled(true)
            .setSecret(com.google.protobuf.ByteString.copyFrom(secret))
            .build());
  }

  private static RuntimeException userPut(KvStore.Writer w, AuthUserPut put, long index) {
    Optional<StoredUser> existing = user(w, put.getName());
    if (put.getReplace() && existing.isEmpty()) {
      return noUser(put.getName());
    }
    if (!put.getReplace() && existing.isPresent()) {
      return new FailedPreconditionException("user " + put.getName() + " already exists");
    }
    StoredUser.Builder user =
        existing.map(StoredUser::toBuilder).orElseGet(StoredUser::newBuilder);
    user.setPassword(put.getPassword()).setEpoch(index);
    w.putAuth(AuthState.USER_PREFIX + put.getName(), user.build().toByteArray());
    return null;
  }

  private static RuntimeException userDelete(KvStore.Writer w, String name) {
    Optional<StoredUser> existing = user(w, name);
    if (existing.isEmpty()) {
      return noUser(name);
    }
    if (existing.get().getRolesList().contains(AuthState.ROOT) && lastRootWhileEnabled(w, name)) {
      return new FailedPreconditionException(
          "user " + name + " is the last root user and authentication is enabled");
    }
    w.removeAuth(AuthState.USER_PREFIX + name);
    return null;
  }

  private static RuntimeException grantRole(KvStore.Writer w, AuthUserRole grant) {
    Optional<StoredUser> existing = user(w, grant.getUser());
    if (existing.isEmpty()) {
      return noUser(grant.getUser());
    }
    if (!grant.getRole().equals(AuthState.ROOT) && role(w, grant.getRole()).isEmpty()) {
      return noRole(grant.getRole());
    }
    if (!existing.get().getRolesList().contains(grant.getRole())) {
      List<String> roles = new ArrayList<>(existing.get().getRolesList());
      roles.add(grant.getRole());
      roles.sort(null);
      w.putAuth(
          AuthState.USER_PREFIX + grant.getUser(),
          existing.get().toBuilder().clearRoles().addAllRoles(roles).build().toByteArray());
    }
    return null;
  }

  private static RuntimeException revokeRole(KvStore.Writer w, AuthUserRole revoke) {
    Optional<StoredUser> existing = user(w, revoke.getUser());
    if (existing.isEmpty()) {
      return noUser(revoke.getUser());
    }
    if (!existing.get().getRolesList().contains(revoke.getRole())) {
      return new FailedPreconditionException(
          "user " + revoke.getUser() + " does not have role " + revoke.getRole());
    }
    if (revoke.getRole().equals(AuthState.ROOT) && lastRootWhileEnabled(w, revoke.getUser())) {
      return new FailedPreconditionException(
          "user " + revoke.getUser() + " is the last root user and authentication is enabled");
    }
    List<String> roles = new ArrayList<>(existing.get().getRolesList());
    roles.remove(revoke.getRole());
    w.putAuth(
        AuthState.USER_PREFIX + revoke.getUser(),
        existing.get().toBuilder().clearRoles().addAllRoles(roles).build().toByteArray());
    return null;
  }

  private static RuntimeException roleAdd(KvStore.Writer w, String name) {
    if (name.equals(AuthState.ROOT) || role(w, name).isPresent()) {
      return new FailedPreconditionException("role " + name + " already exists");
    }
    w.putAuth(AuthState.ROLE_PREFIX + name, StoredRole.getDefaultInstance().toByteArray());
    return null;
  }

  private static RuntimeException roleDelete(KvStore.Writer w, String name) {
    if (name.equals(AuthState.ROOT)) {
      return new FailedPreconditionException("the root role is built in and cannot be deleted");
    }
    if (role(w, name).isEmpty()) {
      return noRole(name);
    }
    w.removeAuth(AuthState.ROLE_PREFIX + name);
    for (String entry : w.authNames(AuthState.USER_PREFIX)) {
      StoredUser u = user(w, entry.substring(AuthState.USER_PREFIX.length())).orElseThrow();
      if (u.getRolesList().contains(name)) {
        List<String> roles = new ArrayList<>(u.getRolesList());
        roles.remove(name);
        w.putAuth(entry, u.toBuilder().clearRoles().addAllRoles(roles).build().toByteArray());
      }
    }
    return null;
  }

  private static RuntimeException roleGrant(KvStore.Writer w, AuthRolePermission grant) {
    if (grant.getRole().equals(AuthState.ROOT)) {
      return new FailedPreconditionException("the root role already allows everything");
    }
    Optional<StoredRole> role = role(w, grant.getRole());
    if (role.isEmpty()) {
      return noRole(grant.getRole());
    }
    StoredPermission p = grant.getPermission();
    StoredRole.Builder next = StoredRole.newBuilder();
    for (StoredPermission old : role.get().getPermissionsList()) {
      if (!(old.getStart().equals(p.getStart()) && old.getEnd().equals(p.getEnd()))) {
        next.addPermissions(old);
      }
    }
    next.addPermissions(p);
    w.putAuth(AuthState.ROLE_PREFIX + grant.getRole(), next.build().toByteArray());
    return null;
  }

  private static RuntimeException roleRevoke(KvStore.Writer w, AuthRolePermission revoke) {
    Optional<StoredRole> role = role(w, revoke.getRole());
    if (role.isEmpty()) {
      return noRole(revoke.getRole());
    }
    StoredPermission p = revoke.getPermission();
    StoredRole.Builder next = StoredRole.newBuilder();
    for (StoredPermission old : role.get().getPermissionsList()) {
      if (!(old.getStart().equals(p.getStart()) && old.getEnd().equals(p.getEnd()))) {
        next.addPermissions(old);
      }
    }
    if (next.getPermissionsCount() == role.get().getPermissionsCount()) {
      return new FailedPreconditionException(
          "role " + revoke.getRole() + " has no permission on that key or range");
    }
    w.putAuth(AuthState.ROLE_PREFIX + revoke.getRole(), next.build().toByteArray());
    return null;
  }

  private static boolean lastRootWhileEnabled(KvStore.Writer w, String name) {
    if (!config(w).getEnabled()) {
      return false;
    }
    for (String entry : w.authNames(AuthState.USER_PREFIX)) {
      String other = entry.substring(AuthState.USER_PREFIX.length());
      if (!other.equals(name) && user(w, other).orElseThrow().getRolesList().contains(AuthState.ROOT)) {
        return false;
      }
    }
    return true;
  }

  private static RuntimeException setConfig(KvStore.Writer w, StoredAuthConfig config) {
    w.putAuth(AuthState.CONFIG, config.toByteArray());
    return null;
  }

  private static StoredAuthConfig config(KvStore.Writer w) {
    return w.authEntry(AuthState.CONFIG).map(AuthOp::parseConfig).orElse(StoredAuthConfig.getDefaultInstance());
  }

  private static Optional<StoredUser> user(KvStore.Writer w, String name) {
    return w.authEntry(AuthState.USER_PREFIX + name)
        .map(
            raw -> {
              try {
                return StoredUser.parseFrom(raw);
              } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("corrupt stored user", e);
              }
            });
  }

  private static Optional<StoredRole> role(KvStore.Writer w, String name) {
    return w.authEntry(AuthState.ROLE_PREFIX + name)
        .map(
            raw -> {
              try {
                return StoredRole.parseFrom(raw);
              } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("corrupt stored role", e);
              }
            });
  }

  private static StoredAuthConfig parseConfig(byte[] raw) {
    try {
      return StoredAuthConfig.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt stored auth config", e);
    }
  }

  private static FailedPreconditionException noUser(String name) {
    return new FailedPreconditionException("user " + name + " not found");
  }

  private static FailedPreconditionException noRole(String name) {
    return new FailedPreconditionException("role " + name + " not found");
  }
}
