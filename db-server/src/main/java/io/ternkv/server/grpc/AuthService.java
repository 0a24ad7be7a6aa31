package io.ternkv.server.grpc;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.raft.v1.AuthCommand;
import io.ternkv.proto.raft.v1.AuthDisable;
import io.ternkv.proto.raft.v1.AuthEnable;
import io.ternkv.proto.raft.v1.AuthRolePermission;
import io.ternkv.proto.raft.v1.AuthUserPut;
import io.ternkv.proto.raft.v1.AuthUserRole;
import io.ternkv.proto.raft.v1.Command;
import io.ternkv.proto.raft.v1.StoredPermission;
import io.ternkv.proto.raft.v1.StoredUser;
import io.ternkv.proto.v1.AuthChangeResponse;
import io.ternkv.proto.v1.AuthDisableRequest;
import io.ternkv.proto.v1.AuthDisableResponse;
import io.ternkv.proto.v1.AuthEnableRequest;
import io.ternkv.proto.v1.AuthEnableResponse;
import io.ternkv.proto.v1.AuthGrpc;
import io.ternkv.proto.v1.AuthStatusRequest;
import io.ternkv.proto.v1.AuthStatusResponse;
import io.ternkv.proto.v1.AuthenticateRequest;
import io.ternkv.proto.v1.AuthenticateResponse;
import io.ternkv.proto.v1.Permission;
import io.ternkv.proto.v1.ResponseHeader;
import io.ternkv.proto.v1.RoleAddRequest;
import io.ternkv.proto.v1.RoleDeleteRequest;
import io.ternkv.proto.v1.RoleGetRequest;
import io.ternkv.proto.v1.RoleGetResponse;
import io.ternkv.proto.v1.RoleGrantPermissionRequest;
import io.ternkv.proto.v1.RoleListRequest;
import io.ternkv.proto.v1.RoleListResponse;
import io.ternkv.proto.v1.RoleRevokePermissionRequest;
import io.ternkv.proto.v1.UserAddRequest;
import io.ternkv.proto.v1.UserChangePasswordRequest;
import io.ternkv.proto.v1.UserDeleteRequest;
import io.ternkv.proto.v1.UserGetRequest;
import io.ternkv.proto.v1.UserGetResponse;
import io.ternkv.proto.v1.UserGrantRoleRequest;
import io.ternkv.proto.v1.UserListRequest;
import io.ternkv.proto.v1.UserListResponse;
import io.ternkv.proto.v1.UserRevokeRoleRequest;
import io.ternkv.proto.v1.WriteConsistency;
import io.ternkv.server.FailedPreconditionException;
import io.ternkv.server.InvalidRequestException;
import io.ternkv.server.UnauthenticatedException;
import io.ternkv.server.auth.AuthGate;
import io.ternkv.server.auth.AuthInterceptor;
import io.ternkv.server.auth.AuthState;
import io.ternkv.server.auth.Identity;
import io.ternkv.server.auth.KeySpan;
import io.ternkv.server.auth.LoginThrottle;
import io.ternkv.server.auth.Passwords;
import io.ternkv.server.raft.RaftNode;
import io.ternkv.server.raft.WriteOutcome;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The client-facing {@code Auth} service: logins, the authentication switch, users and roles.
 * Changes go through the Raft log (passwords hashed here first, so the log and the store only
 * ever hold hashes); reads of users and roles are answered from this node's state. With
 * authentication enabled, everything but {@code Authenticate} and {@code AuthStatus} needs the
 * root role. No password or token is ever logged or put in an error message.
 */
public final class AuthService extends AuthGrpc.AuthImplBase {
  /** Longest user or role name. */
  static final int MAX_NAME_CHARS = 128;
  /** Longest password (bytes of UTF-8). */
  static final int MAX_PASSWORD_BYTES = 1024;

  private static final SecureRandom RANDOM = new SecureRandom();
  /** Hashed against when the user does not exist, so a login takes as long either way. */
  private static final io.ternkv.proto.raft.v1.StoredPassword DUMMY = Passwords.hash("absent user");

  private final String nodeId;
  private final RaftNode raft;
  private final KvService kv;
  private final AuthGate gate;
  private final LoginThrottle throttle;

  /** Creates the service; writes share {@code kv}'s path (exactly-once, error mapping). */
  public AuthService(String nodeId, RaftNode raft, KvService kv, AuthGate gate, LoginThrottle throttle) {
    this.nodeId = nodeId;
    this.raft = raft;
    this.kv = kv;
    this.gate = gate;
    this.throttle = throttle;
  }

  @Override
  public void authenticate(AuthenticateRequest request, StreamObserver<AuthenticateResponse> out) {
    kv.run(
        out,
        () -> {
          AuthState state = gate.state();
          ResponseHeader header = localHeader();
          if (!state.enabled()) {
            return CompletableFuture.completedFuture(
                AuthenticateResponse.newBuilder().setHeader(header).build());
          }
          String name = request.getName();
          String peer = String.valueOf(AuthInterceptor.PEER.get());
          long wait = throttle.waitMillis(name, peer);
          if (wait > 0) {
            throw new UnauthenticatedException(
                "too many failed logins for user " + name + " from " + peer + ": try again in " + wait + " ms");
          }
          StoredUser user = state.user(name).orElse(null);
          boolean ok =
              Passwords.verify(request.getPassword(), user == null ? DUMMY : user.getPassword()) && user != null;
          if (!ok) {
            throttle.failed(name, peer);
            throw new UnauthenticatedException("wrong user name or password");
          }
          throttle.succeeded(name, peer);
          long ttl = gate.tokenTtl().toMillis();
          String token =
              state.tokens().orElseThrow().sign(name, user.getEpoch(), System.currentTimeMillis() + ttl);
          return CompletableFuture.completedFuture(
              AuthenticateResponse.newBuilder().setHeader(header).setToken(token).setExpiresInMs(ttl).build());
        });
  }

  @Override
  public void authEnable(AuthEnableRequest request, StreamObserver<AuthEnableResponse> out) {
    kv.run(
        out,
        () -> {
          gate.checkRoot("enable authentication");
          if (gate.state().enabled()) {
            return CompletableFuture.completedFuture(
                AuthEnableResponse.newBuilder().setHeader(localHeader()).build());
          }
          if (!gate.state().hasRootUser()) {
            // Decided again when applied; refusing here saves an entry.
            throw new FailedPreconditionException(
                "authentication needs a user with the root role first (user add root; user grant-role root root)");
          }
          byte[] secret = new byte[32];
          RANDOM.nextBytes(secret);
          return change(
              AuthCommand.newBuilder().setEnable(AuthEnable.newBuilder().setSecret(ByteString.copyFrom(secret))),
              h -> AuthEnableResponse.newBuilder().setHeader(h).build());
        });
  }

  @Override
  public void authDisable(AuthDisableRequest request, StreamObserver<AuthDisableResponse> out) {
    kv.run(
        out,
        () -> {
          gate.checkRoot("disable authentication");
          return change(
              AuthCommand.newBuilder().setDisable(AuthDisable.getDefaultInstance()),
              h -> AuthDisableResponse.newBuilder().setHeader(h).build());
        });
  }

  @Override
  public void authStatus(AuthStatusRequest request, StreamObserver<AuthStatusResponse> out) {
    kv.run(
        out,
        () ->
            CompletableFuture.completedFuture(
                AuthStatusResponse.newBuilder()
                    .setHeader(localHeader())
                    .setEnabled(gate.state().enabled())
                    .setUser(AuthGate.caller().map(Identity::user).orElse(""))
                    .build()));
  }

  @Override
  public void userAdd(UserAddRequest request, StreamObserver<AuthChangeResponse> out) {
    putUser(request.getName(), request.getPassword(), false, "add users", out);
  }

  @Override
  public void userChangePassword(UserChangePasswordRequest request, StreamObserver<AuthChangeResponse> out) {
    putUser(request.getName(), request.getPassword(), true, "change passwords", out);
  }

  private void putUser(String name, String password, boolean replace, String what, StreamObserver<AuthChangeResponse> out) {
    kv.run(
        out,
        () -> {
          gate.checkRoot(what);
          checkName("user", name);
          if (password.isEmpty() || password.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            throw new InvalidRequestException("a password must have 1 to " + MAX_PASSWORD_BYTES + " bytes");
          }
          raft.checkLeader();
          return change(
              AuthCommand.newBuilder()
                  .setUserPut(
                      AuthUserPut.newBuilder().setName(name).setPassword(Passwords.hash(password)).setReplace(replace)),
              AuthService::changed);
        });
  }

  @Override
  public void userDelete(UserDeleteRequest request, StreamObserver<AuthChangeResponse> out) {
    simple(out, "delete users", "user", request.getName(), AuthCommand.newBuilder().setUserDelete(request.getName()));
  }

  @Override
  public void userGrantRole(UserGrantRoleRequest request, StreamObserver<AuthChangeResponse> out) {
    simple(
        out,
        "grant roles",
        "user",
        request.getUser(),
        AuthCommand.newBuilder()
            .setUserGrantRole(AuthUserRole.newBuilder().setUser(request.getUser()).setRole(request.getRole())));
  }

  @Override
  public void userRevokeRole(UserRevokeRoleRequest request, StreamObserver<AuthChangeResponse> out) {
    simple(
        out,
        "revoke roles",
        "user",
        request.getUser(),
        AuthCommand.newBuilder()
            .setUserRevokeRole(AuthUserRole.newBuilder().setUser(request.getUser()).setRole(request.getRole())));
  }

  @Override
  public void roleAdd(RoleAddRequest request, StreamObserver<AuthChangeResponse> out) {
    simple(out, "add roles", "role", request.getName(), AuthCommand.newBuilder().setRoleAdd(request.getName()));
  }

  @Override
  public void roleDelete(RoleDeleteRequest request, StreamObserver<AuthChangeResponse> out) {
    simple(out, "delete roles", "role", request.getName(), AuthCommand.newBuilder().setRoleDelete(request.getName()));
  }

  @Override
  public void roleGrantPermission(RoleGrantPermissionRequest request, StreamObserver<AuthChangeResponse> out) {
    kv.run(
        out,
        () -> {
          StoredPermission p = stored(request.getPermission());
          return simpleChange(
              "grant permissions",
              "role",
              request.getName(),
              AuthCommand.newBuilder()
                  .setRoleGrant(AuthRolePermission.newBuilder().setRole(request.getName()).setPermission(p)));
        });
  }

  @Override
  public void roleRevokePermission(RoleRevokePermissionRequest request, StreamObserver<AuthChangeResponse> out) {
    kv.run(
        out,
        () -> {
          StoredPermission p =
              stored(Permission.newBuilder().setKey(request.getKey()).setRangeEnd(request.getRangeEnd()).build());
          return simpleChange(
              "revoke permissions",
              "role",
              request.getName(),
              AuthCommand.newBuilder()
                  .setRoleRevoke(AuthRolePermission.newBuilder().setRole(request.getName()).setPermission(p)));
        });
  }

  @Override
  public void userGet(UserGetRequest request, StreamObserver<UserGetResponse> out) {
    kv.run(
        out,
        () -> {
          gate.checkRoot("read users");
          StoredUser u =
              gate.state()
                  .user(request.getName())
                  .orElseThrow(() -> new FailedPreconditionException("user " + request.getName() + " not found"));
          return CompletableFuture.completedFuture(
              UserGetResponse.newBuilder()
                  .setHeader(localHeader())
                  .setName(request.getName())
                  .addAllRoles(u.getRolesList())
                  .build());
        });
  }

  @Override
  public void userList(UserListRequest request, StreamObserver<UserListResponse> out) {
    kv.run(
        out,
        () -> {
          gate.checkRoot("read users");
          return CompletableFuture.completedFuture(
              UserListResponse.newBuilder().setHeader(localHeader()).addAllUsers(gate.state().userNames()).build());
        });
  }

  @Override
  public void roleGet(RoleGetRequest request, StreamObserver<RoleGetResponse> out) {
    kv.run(
        out,
        () -> {
          gate.checkRoot("read roles");
          RoleGetResponse.Builder b = RoleGetResponse.newBuilder().setHeader(localHeader()).setName(request.getName());
          if (request.getName().equals(AuthState.ROOT)) {
            b.addPermissions(
                Permission.newBuilder()
                    .setType(Permission.Type.READWRITE)
                    .setRangeEnd(ByteString.copyFrom(new byte[] {0})));
            return CompletableFuture.completedFuture(b.build());
          }
          var role =
              gate.state()
                  .role(request.getName())
                  .orElseThrow(() -> new FailedPreconditionException("role " + request.getName() + " not found"));
          for (StoredPermission p : role.getPermissionsList()) {
            b.addPermissions(wire(p));
          }
          return CompletableFuture.completedFuture(b.build());
        });
  }

  @Override
  public void roleList(RoleListRequest request, StreamObserver<RoleListResponse> out) {
    kv.run(
        out,
        () -> {
          gate.checkRoot("read roles");
          return CompletableFuture.completedFuture(
              RoleListResponse.newBuilder().setHeader(localHeader()).addAllRoles(gate.state().roleNames()).build());
        });
  }

  private void simple(
      StreamObserver<AuthChangeResponse> out, String what, String kind, String name, AuthCommand.Builder command) {
    kv.run(out, () -> simpleChange(what, kind, name, command));
  }

  private CompletableFuture<AuthChangeResponse> simpleChange(
      String what, String kind, String name, AuthCommand.Builder command) {
    gate.checkRoot(what);
    checkName(kind, name);
    raft.checkLeader();
    return change(command, AuthService::changed);
  }

  private <T> CompletableFuture<T> change(AuthCommand.Builder command, Function<ResponseHeader, T> response) {
    raft.checkLeader();
    return kv.write(Command.newBuilder().setAuth(command).build(), null, WriteConsistency.WRITE_MAJORITY)
        .thenApply((WriteOutcome o) -> response.apply(kv.writeHeader(o)));
  }

  private static AuthChangeResponse changed(ResponseHeader h) {
    return AuthChangeResponse.newBuilder().setHeader(h).build();
  }

  private ResponseHeader localHeader() {
    var at = raft.store().applied();
    return ResponseHeader.newBuilder()
        .setNodeId(nodeId)
        .setRevision(at.revision())
        .setRaftIndex(at.index())
        .setRaftTerm(raft.term())
        .build();
  }

  /** Names go into tokens (separated by '|') and store entry names (after '/'). */
  static void checkName(String kind, String name) {
    if (name.isEmpty() || name.length() > MAX_NAME_CHARS) {
      throw new InvalidRequestException("a " + kind + " name must have 1 to " + MAX_NAME_CHARS + " characters");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '|' || c == '/') {
        throw new InvalidRequestException("a " + kind + " name must not hold control characters, '|' or '/'");
      }
    }
  }

  /** The stored span of a permission: range_end empty is the key alone, "\0" no end. */
  static StoredPermission stored(Permission p) {
    byte[] key = p.getKey().toByteArray();
    byte[] end = p.getRangeEnd().toByteArray();
    StoredPermission.Type type =
        switch (p.getType()) {
          case READ -> StoredPermission.Type.READ;
          case WRITE -> StoredPermission.Type.WRITE;
          case READWRITE -> StoredPermission.Type.READWRITE;
          case UNRECOGNIZED -> throw new InvalidRequestException("unknown permission type");
        };
    KeySpan span;
    if (end.length == 0) {
      if (key.length == 0) {
        throw new InvalidRequestException("a permission on one key needs the key");
      }
      span = KeySpan.key(key);
    } else if (end.length == 1 && end[0] == 0) {
      span = new KeySpan(key, null);
    } else {
      if (Arrays.compareUnsigned(end, key) <= 0) {
        throw new InvalidRequestException("a permission's range end must be greater than its key");
      }
      span = new KeySpan(key, end);
    }
    return StoredPermission.newBuilder()
        .setType(type)
        .setStart(ByteString.copyFrom(span.start()))
        .setEnd(span.end() == null ? ByteString.EMPTY : ByteString.copyFrom(span.end()))
        .build();
  }

  /** The wire form of a stored permission (inverse of {@link #stored}). */
  static Permission wire(StoredPermission p) {
    byte[] start = p.getStart().toByteArray();
    byte[] end = p.getEnd().toByteArray();
    ByteString rangeEnd;
    if (end.length == 0) {
      rangeEnd = ByteString.copyFrom(new byte[] {0});
    } else if (end.length == start.length + 1 && end[start.length] == 0 && Arrays.equals(start, 0, start.length, end, 0, start.length)) {
      rangeEnd = ByteString.EMPTY;
    } else {
      rangeEnd = ByteString.copyFrom(end);
    }
    return Permission.newBuilder()
        .setType(
            switch (p.getType()) {
              case READ -> Permission.Type.READ;
              case WRITE -> Permission.Type.WRITE;
              default -> Permission.Type.READWRITE;
            })
        .setKey(p.getStart())
        .setRangeEnd(rangeEnd)
        .build();
  }
}
