package io.ternkv.server.auth;

import io.grpc.Context;
import io.ternkv.server.PermissionDeniedException;
import io.ternkv.server.UnauthenticatedException;
import io.ternkv.server.storage.KvStore;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A node's view of the replicated authentication state and the checks services make with it.
 * The decoded state is cached and decoded again only when the store reports an auth change, so
 * with authentication disabled a check costs two volatile reads.
 *
 * <p>Threading: thread-safe; checks run on gRPC threads and read the caller from the gRPC
 * {@link Context} that {@link AuthInterceptor} filled.
 */
public final class AuthGate {
  /** The authenticated caller of the current call; absent while authentication is disabled. */
  public static final Context.Key<Identity> IDENTITY = Context.key("ternkv-identity");

  /** Default lifetime of a token. */
  public static final Duration DEFAULT_TOKEN_TTL = Duration.ofMinutes(5);

  private record Cached(long changes, AuthState state) {}

  private final Supplier<KvStore> store;
  private final Duration tokenTtl;
  private volatile Cached cached = new Cached(Long.MIN_VALUE, AuthState.EMPTY);

  /** A gate over the store {@code store} returns (the state machine's), issuing tokens for {@code tokenTtl}. */
  public AuthGate(Supplier<KvStore> store, Duration tokenTtl) {
    this.store = store;
    this.tokenTtl = tokenTtl;
  }

  /** How long tokens this node issues are valid. */
  public Duration tokenTtl() {
    return tokenTtl;
  }

  /** The current authentication state (as applied on this node). */
  public AuthState state() {
    KvStore s = store.get();
    if (s == null) {
      return AuthState.EMPTY;
    }
    long changes = s.authChanges();
    Cached c = cached;
    if (c.changes() == changes) {
      return c.state();
    }
    AuthState decoded = AuthState.decode(s.view().authEntries());
    cached = new Cached(changes, decoded);
    return decoded;
  }

  /** The caller of the current call, when it authenticated. */
  public static Optional<Identity> caller() {
    return Optional.ofNullable(IDENTITY.get());
  }

  /**
   * Checks that the caller may have {@code access} to every key of {@code span}.
   *
   * @throws UnauthenticatedException when authentication is enabled and the call has no identity
   * @throws PermissionDeniedException when the caller's roles do not cover the span
   */
  public void check(Access access, KeySpan span) {
    check(IDENTITY.get(), access, span);
  }

  /**
   * {@link #check(Access, KeySpan)} for a caller captured earlier (a stream served on another
   * thread than its call's).
   */
  public void check(Identity caller, Access access, KeySpan span) {
    AuthState s = state();
    if (!s.enabled()) {
      return;
    }
    String user = authenticatedUser(caller);
    if (!s.allows(user, access, span)) {
      throw new PermissionDeniedException(
          "user " + user + " may not " + access.verb() + " " + span);
    }
  }

  /**
   * Checks that the caller holds the root role, for {@code operation} (named in the error).
   *
   * @throws UnauthenticatedException when authentication is enabled and the call has no identity
   * @throws PermissionDeniedException when the caller is not root
   */
  public void checkRoot(String operation) {
    AuthState s = state();
    if (!s.enabled()) {
      return;
    }
    String user = authenticatedUser(IDENTITY.get());
    if (!s.isRoot(user)) {
      throw new PermissionDeniedException(
          "user " + user + " may not " + operation + ": it needs the root role");
    }
  }

  private static String authenticatedUser(Identity id) {
    if (id == null) {
      throw new UnauthenticatedException("authentication is enabled: log in first");
    }
    return id.user();
  }
}
