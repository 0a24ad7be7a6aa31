package io.ternkv.client.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.ternkv.proto.v1.AuthGrpc;
import io.ternkv.proto.v1.AuthenticateRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;

/**
 * A user name and password, and the token logging in with them gave: attached to every call as
 * the {@code authorization} header, renewed when a node refuses it. The password stays in this
 * object; it is sent only in {@code Authenticate} calls and never logged.
 *
 * <p>Threading: thread-safe; one login runs at a time, concurrent refusals share it.
 */
public final class Credentials implements ClientInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String user;
  private final String password;
  /** The current token; empty while the cluster has authentication disabled. */
  private final AtomicReference<String> token = new AtomicReference<>();
  private final AtomicReference<CompletableFuture<String>> login = new AtomicReference<>();

  /** Credentials for {@code user}. */
  public Credentials(String user, String password) {
    this.user = user;
    this.password = password;
  }

  /** The user name. */
  public String user() {
    return user;
  }

  /** The token sent now (null before the first login). */
  String token() {
    return token.get();
  }

  /**
   * Logs in again unless another login already replaced {@code refused}, with {@code send}
   * sending the Authenticate call (to the address it chooses).
   */
  CompletableFuture<String> renew(
      String refused,
      BiFunction<MethodDescriptor<AuthenticateRequest, io.ternkv.proto.v1.AuthenticateResponse>, AuthenticateRequest,
              CompletableFuture<io.ternkv.proto.v1.AuthenticateResponse>>
          send) {
    String now = token.get();
    if (now != null && !now.equals(refused)) {
      return CompletableFuture.completedFuture(now);
    }
    CompletableFuture<String> mine = new CompletableFuture<>();
    CompletableFuture<String> running = login.compareAndExchange(null, mine);
    if (running != null) {
      return running;
    }
    send.apply(
            AuthGrpc.getAuthenticateMethod(),
            AuthenticateRequest.newBuilder().setName(user).setPassword(password).build())
        .whenComplete(
            (r, e) -> {
              login.set(null);
              if (e != null) {
                mine.completeExceptionally(e);
              } else {
                token.set(r.getToken());
                mine.complete(r.getToken());
              }
            });
    return mine;
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        String t = token.get();
        if (t != null && !t.isEmpty()) {
          headers.put(AUTHORIZATION, "Bearer " + t);
        }
        super.start(listener, headers);
      }
    };
  }

  @Override
  public String toString() {
    return "Credentials[user=" + user + "]"; // never the password or token
  }
}
