package io.ternkv.server.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.ternkv.proto.raft.v1.StoredUser;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Authenticates every call on the client port while authentication is enabled: a token in the
 * {@code authorization} header (optionally {@code Bearer }-prefixed) or the {@code token} header,
 * else (with client certificates required) the verified client certificate's common name, which
 * must be a user's name. The identity goes into the call's {@link Context} ({@link
 * AuthGate#IDENTITY}); a call without valid credentials ends with UNAUTHENTICATED before any
 * service sees it. Health, reflection, {@code Auth/Authenticate}, {@code Auth/AuthStatus} and the
 * nodes' own {@code Cluster/WaitApplied} and {@code Cluster/CurrentTerm} stay open. While
 * authentication is disabled calls pass through untouched.
 *
 * <p>Threading: thread-safe.
 */
public final class AuthInterceptor implements ServerInterceptor {
  /** The header that carries a token. */
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private static final Metadata.Key<String> TOKEN =
      Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);

  /** The caller's address without port, for the login throttle. */
  public static final Context.Key<String> PEER = Context.key("ternkv-peer");

  private final AuthGate gate;
  private final boolean clientCertAuth;

  /** An interceptor checking against {@code gate}; certificates count only with {@code clientCertAuth}. */
  public AuthInterceptor(AuthGate gate, boolean clientCertAuth) {
    this.gate = gate;
    this.clientCertAuth = clientCertAuth;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    boolean authService = method.startsWith("ternkv.v1.Auth/");
    AuthState state = gate.state();
    if (!state.enabled() && !authService) {
      return next.startCall(call, headers);
    }
    Context ctx = Context.current();
    if (authService) {
      ctx = ctx.withValue(PEER, peerHost(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)));
    }
    boolean open =
        !method.startsWith("ternkv.v1.")
            || method.equals("ternkv.v1.Auth/Authenticate")
            || method.equals("ternkv.v1.Auth/AuthStatus")
            || method.equals("ternkv.v1.Cluster/WaitApplied")
            || method.equals("ternkv.v1.Cluster/CurrentTerm");
    if (!state.enabled()) {
      return Contexts.interceptCall(ctx, call, headers, next);
    }
    String problem;
    Identity identity = null;
    String token = headers.get(AUTHORIZATION);
    if (token == null) {
      token = headers.get(TOKEN);
    }
    if (token != null) {
      if (token.regionMatches(true, 0, "Bearer ", 0, 7)) {
        token = token.substring(7).trim();
      }
      String presented = token;
      Optional<Tokens.Claims> claims =
          state.tokens().flatMap(t -> t.verify(presented, System.currentTimeMillis()));
      if (claims.isPresent()) {
        Optional<StoredUser> user = state.user(claims.get().user());
        if (user.isPresent() && user.get().getEpoch() == claims.get().epoch()) {
          identity = new Identity(claims.get().user(), false);
          problem = null;
        } else {
          problem = "the token's user was deleted or changed its password: log in again";
        }
      } else {
        problem = "the token is invalid or expired: log in again";
      }
    } else {
      Optional<String> cn = clientCertAuth ? commonName(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)) : Optional.empty();
      if (cn.isPresent() && state.user(cn.get()).isPresent()) {
        identity = new Identity(cn.get(), true);
        problem = null;
      } else if (cn.isPresent()) {
        problem = "the client certificate names " + cn.get() + ", which is not a user";
      } else {
        problem = "authentication is enabled: give a user and password, or a token";
      }
    }
    if (identity == null && !open) {
      call.close(Status.UNAUTHENTICATED.withDescription(problem), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    if (identity != null) {
      ctx = ctx.withValue(AuthGate.IDENTITY, identity);
    }
    return Contexts.interceptCall(ctx, call, headers, next);
  }

  private static String peerHost(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      return inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
    }
    return String.valueOf(address);
  }

  /** The common name of a verified peer certificate, if the session has one. */
  static Optional<String> commonName(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
        return Optional.empty();
      }
      for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return Optional.of(rdn.getValue().toString());
        }
      }
      return Optional.empty();
    } catch (SSLPeerUnverifiedException | InvalidNameException e) {
      return Optional.empty();
    }
  }
}
