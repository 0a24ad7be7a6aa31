package io.ternkv.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.ternkv.proto.v1.AuthEnableRequest;
import io.ternkv.proto.v1.AuthGrpc;
import io.ternkv.proto.v1.AuthenticateRequest;
import io.ternkv.proto.v1.BackupRequest;
import io.ternkv.proto.v1.ClusterGrpc;
import io.ternkv.proto.v1.CompactRequest;
import io.ternkv.proto.v1.Compare;
import io.ternkv.proto.v1.DeleteRequest;
import io.ternkv.proto.v1.GetRequest;
import io.ternkv.proto.v1.KVGrpc;
import io.ternkv.proto.v1.LeaseGrantRequest;
import io.ternkv.proto.v1.LeaseGrpc;
import io.ternkv.proto.v1.MaintenanceGrpc;
import io.ternkv.proto.v1.Member;
import io.ternkv.proto.v1.AddMemberRequest;
import io.ternkv.proto.v1.Permission;
import io.ternkv.proto.v1.PutRequest;
import io.ternkv.proto.v1.RangeRequest;
import io.ternkv.proto.v1.ReadConsistency;
import io.ternkv.proto.v1.RemoveMemberRequest;
import io.ternkv.proto.v1.RoleAddRequest;
import io.ternkv.proto.v1.RoleGrantPermissionRequest;
import io.ternkv.proto.v1.StatusRequest;
import io.ternkv.proto.v1.TransferLeaderRequest;
import io.ternkv.proto.v1.TxnOp;
import io.ternkv.proto.v1.TxnPut;
import io.ternkv.proto.v1.TxnRange;
import io.ternkv.proto.v1.TxnRequest;
import io.ternkv.proto.v1.UserAddRequest;
import io.ternkv.proto.v1.UserChangePasswordRequest;
import io.ternkv.proto.v1.UserGrantRoleRequest;
import io.ternkv.proto.v1.UserListRequest;
import io.ternkv.proto.v1.WatchCreateRequest;
import io.ternkv.proto.v1.WatchGrpc;
import io.ternkv.proto.v1.WatchRequest;
import io.ternkv.proto.v1.WatchResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Users, roles and tokens over real gRPC on a real 3-node Raft cluster: who may call what, at
 * the edges of a permitted prefix, from any node; and that passwords never reach disk or logs.
 */
class AuthIT {
  /** Distinctive, so a scan of files and logs can look for it. */
  static final String ROOT_PASSWORD = "Zq8-root-pass-xylophone";
  static final String APP_PASSWORD = "Wv3-app-pass-quokka";
  static final String READER_PASSWORD = "Kp5-reader-pass-narwhal";

  @TempDir static Path dir;
  static LocalCluster cluster;
  static final List<ManagedChannel> channels = new ArrayList<>();
  static final ConcurrentLinkedQueue<String> logLines = new ConcurrentLinkedQueue<>();
  static AppenderBase<ILoggingEvent> appender;

  @BeforeAll
  static void start() throws Exception {
    appender =
        new AppenderBase<>() {
          @Override
          protected void append(ILoggingEvent e) {
            logLines.add(e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage()));
          }
        };
    appender.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(appender);
    cluster = LocalCluster.builder().nodes(3).dataDir(dir.resolve("main")).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    for (String e : cluster.endpoints()) {
      channels.add(NettyChannelBuilder.forTarget(e).usePlaintext().build());
    }
    setUpUsers();
  }

  /** Before enabling: a reader and a read-write role on app/, users, and data to read. */
  static void setUpUsers() {
    StatusRuntimeException early =
        assertThrows(
            StatusRuntimeException.class,
            () -> onLeader(n -> auth(n, null).authEnable(AuthEnableRequest.getDefaultInstance())));
    assertEquals(Status.Code.FAILED_PRECONDITION, early.getStatus().getCode());
    assertTrue(early.getStatus().getDescription().contains("root"), early.getStatus().getDescription());
    addUser("root", ROOT_PASSWORD, "root");
    onLeader(n -> auth(n, null).roleAdd(RoleAddRequest.newBuilder().setName("app-rw").build()));
    onLeader(n -> auth(n, null).roleAdd(RoleAddRequest.newBuilder().setName("app-r").build()));
    onLeader(
        n ->
            auth(n, null)
                .roleGrantPermission(
                    RoleGrantPermissionRequest.newBuilder()
                        .setName("app-rw")
                        .setPermission(prefix(Permission.Type.READWRITE, "app/"))
                        .build()));
    onLeader(
        n ->
            auth(n, null)
                .roleGrantPermission(
                    RoleGrantPermissionRequest.newBuilder()
                        .setName("app-r")
                        .setPermission(prefix(Permission.Type.READ, "app/"))
                        .build()));
    addUser("app", APP_PASSWORD, "app-rw");
    addUser("reader", READER_PASSWORD, "app-r");
    // Targets of failed logins, so the slow-down of one test does not delay the others.
    addUser("victim", READER_PASSWORD, null);
    addUser("guesser", READER_PASSWORD, null);
    // Data the tests read, written while authentication is still off.
    for (String k : List.of("app", "app/", "app/a", "app/z", "app0", "other")) {
      onLeader(n -> kv(n, null).put(PutRequest.newBuilder().setKey(bytes(k)).setValue(bytes("v-" + k)).build()));
    }
    onLeader(n -> auth(n, null).authEnable(AuthEnableRequest.getDefaultInstance()));
  }

  static void addUser(String name, String password, String role) {
    onLeader(n -> auth(n, null).userAdd(UserAddRequest.newBuilder().setName(name).setPassword(password).build()));
    if (role != null) {
      onLeader(n -> auth(n, null).userGrantRole(UserGrantRoleRequest.newBuilder().setUser(name).setRole(role).build()));
    }
  }

  /** Runs a call on the leader, again on the new one while leadership settles. */
  static <T> T onLeader(java.util.function.IntFunction<T> call) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        return call.apply(leader());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException ie) {
          throw new AssertionError(ie);
        }
      }
    }
  }

  @AfterAll
  static void stop() throws IOException {
    channels.forEach(ManagedChannel::shutdownNow);
    cluster.close();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(appender);
    assertNoPasswordIn(dir, String.join("\n", logLines));
  }

  /** No file under {@code root} and no log line holds any test password. */
  static void assertNoPasswordIn(Path root, String logs) throws IOException {
    List<String> passwords = List.of(ROOT_PASSWORD, APP_PASSWORD, READER_PASSWORD, "Nw7-new-pass-pangolin", "Qq1-temp-pass-axolotl");
    int files = 0;
    try (Stream<Path> all = Files.walk(root)) {
      for (Iterator<Path> it = all.filter(Files::isRegularFile).iterator(); it.hasNext(); ) {
        Path f = it.next();
        byte[] content = Files.readAllBytes(f);
        files++;
        for (String p : passwords) {
          assertFalse(indexOf(content, p.getBytes(UTF_8)) >= 0, "password found in " + f);
        }
      }
    }
    assertTrue(files > 10, "scanned only " + files + " files");
    for (String p : passwords) {
      assertFalse(logs.contains(p), "password found in the log");
    }
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static int leader() {
    return cluster.awaitLeader(Duration.ofSeconds(20));
  }

  static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  static Permission prefix(Permission.Type type, String prefix) {
    byte[] p = prefix.getBytes(UTF_8);
    byte[] end = p.clone();
    end[end.length - 1]++;
    return Permission.newBuilder().setType(type).setKey(ByteString.copyFrom(p)).setRangeEnd(ByteString.copyFrom(end)).build();
  }

  static <S extends AbstractStub<S>> S withToken(S stub, String token) {
    S s = stub.withDeadlineAfter(15, TimeUnit.SECONDS);
    if (token == null) {
      return s;
    }
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return s.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
  }

  static KVGrpc.KVBlockingStub kv(int node, String token) {
    return withToken(KVGrpc.newBlockingStub(channels.get(node)), token);
  }

  static AuthGrpc.AuthBlockingStub auth(int node, String token) {
    return withToken(AuthGrpc.newBlockingStub(channels.get(node)), token);
  }

  static String login(int node, String user, String password) {
    return auth(node, null)
        .authenticate(AuthenticateRequest.newBuilder().setName(user).setPassword(password).build())
        .getToken();
  }

  static StatusRuntimeException fails(Status.Code code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    return e;
  }

  static GetRequest get(String key) {
    return GetRequest.newBuilder().setKey(bytes(key)).build();
  }

  @Test
  void callWithoutTokenOrWithBadPasswordIsUnauthenticated() {
    int l = leader();
    StatusRuntimeException none = fails(Status.Code.UNAUTHENTICATED, () -> kv(l, null).get(get("app/a")));
    assertTrue(none.getStatus().getDescription().contains("authentication is enabled"));
    fails(Status.Code.UNAUTHENTICATED, () -> login(l, "victim", "wrong"));
    fails(Status.Code.UNAUTHENTICATED, () -> login(l, "nobody", "wrong"));
    fails(Status.Code.UNAUTHENTICATED, () -> kv(l, "not-a-token").get(get("app/a")));
    fails(
        Status.Code.UNAUTHENTICATED,
        () -> LeaseGrpc.newBlockingStub(channels.get(l)).leaseGrant(LeaseGrantRequest.newBuilder().setTtlMs(5000).build()));
    fails(
        Status.Code.UNAUTHENTICATED,
        () -> ClusterGrpc.newBlockingStub(channels.get(l)).status(StatusRequest.getDefaultInstance()));
    // Health checks stay open, and AuthStatus answers who the caller is (nobody).
    assertEquals(
        io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING,
        withToken(io.grpc.health.v1.HealthGrpc.newBlockingStub(channels.get(l)), null)
            .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance())
            .getStatus());
    io.ternkv.proto.v1.AuthStatusResponse status =
        auth(l, null).authStatus(io.ternkv.proto.v1.AuthStatusRequest.getDefaultInstance());
    assertTrue(status.getEnabled());
    assertEquals("", status.getUser());
  }

  @Test
  void repeatedFailedLoginsAreSlowedDown() {
    int l = leader();
    fails(Status.Code.UNAUTHENTICATED, () -> login(l, "guesser", "wrong-1"));
    StatusRuntimeException second = fails(Status.Code.UNAUTHENTICATED, () -> login(l, "guesser", "wrong-2"));
    assertTrue(second.getStatus().getDescription().contains("too many failed logins"), second.getStatus().getDescription());
    // Even the right password waits its turn, then works.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String token = null;
    while (token == null && System.nanoTime() < deadline) {
      try {
        token = login(l, "guesser", READER_PASSWORD);
      } catch (StatusRuntimeException e) {
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      }
    }
    assertFalse(token == null || token.isEmpty());
  }

  @Test
  void readerReadsButCannotPutOrDelete() {
    int l = leader();
    String token = login(l, "reader", READER_PASSWORD);
    assertEquals(bytes("v-app/a"), kv(l, token).get(get("app/a")).getKv().getValue());
    StatusRuntimeException put =
        fails(
            Status.Code.PERMISSION_DENIED,
            () -> kv(l, token).put(PutRequest.newBuilder().setKey(bytes("app/a")).setValue(bytes("x")).build()));
    assertTrue(put.getStatus().getDescription().contains("reader may not write key \"app/a\""), put.getStatus().getDescription());
    fails(Status.Code.PERMISSION_DENIED, () -> kv(l, token).delete(DeleteRequest.newBuilder().setKey(bytes("app/a")).build()));
    fails(
        Status.Code.PERMISSION_DENIED,
        () -> kv(l, token).delete(DeleteRequest.newBuilder().setPrefix(bytes("app/")).build()));
    fails(Status.Code.PERMISSION_DENIED, () -> auth(l, token).userList(UserListRequest.getDefaultInstance()));
  }

  @Test
  void prefixPermissionHoldsAtTheEdgesOfThePrefix() {
    int l = leader();
    String token = login(l, "app", APP_PASSWORD);
    KVGrpc.KVBlockingStub kv = kv(l, token);
    // get
    assertEquals(bytes("v-app/"), kv.get(get("app/")).getKv().getValue());
    assertEquals(bytes("v-app/z"), kv.get(get("app/z")).getKv().getValue());
    fails(Status.Code.PERMISSION_DENIED, () -> kv.get(get("app")));
    fails(Status.Code.PERMISSION_DENIED, () -> kv.get(get("app0")));
    // range: the prefix, the same as [app/, app0), but not one byte further or earlier
    int inPrefix = kv.range(RangeRequest.newBuilder().setPrefix(bytes("app/")).build()).getKvsCount();
    assertTrue(inPrefix >= 3, "keys under app/: " + inPrefix);
    assertEquals(inPrefix, kv.range(RangeRequest.newBuilder().setStart(bytes("app/")).setEnd(bytes("app0")).build()).getKvsCount());
    StatusRuntimeException wide =
        fails(
            Status.Code.PERMISSION_DENIED,
            () -> kv.range(RangeRequest.newBuilder().setStart(bytes("app/")).setEnd(bytes("app0\0")).build()));
    assertTrue(wide.getStatus().getDescription().contains("range [\"app/\", 0x61707030"), wide.getStatus().getDescription());
    fails(Status.Code.PERMISSION_DENIED, () -> kv.range(RangeRequest.newBuilder().setPrefix(bytes("app")).build()));
    fails(Status.Code.PERMISSION_DENIED, () -> kv.range(RangeRequest.newBuilder().setStart(bytes("app")).setEnd(bytes("app0")).build()));
    // put at the edges
    kv.put(PutRequest.newBuilder().setKey(bytes("app/new")).setValue(bytes("1")).build());
    fails(Status.Code.PERMISSION_DENIED, () -> kv.put(PutRequest.newBuilder().setKey(bytes("app0")).setValue(bytes("1")).build()));
    // txn: every compare and every op of both branches
    TxnOp inside = TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(bytes("app/t")).setValue(bytes("1"))).build();
    TxnOp outside = TxnOp.newBuilder().setPut(TxnPut.newBuilder().setKey(bytes("app0")).setValue(bytes("1"))).build();
    Compare cmpInside = Compare.newBuilder().setKey(bytes("app/a")).setTarget(Compare.Target.VERSION).setOperator(Compare.Operator.GREATER).setNumber(0).build();
    Compare cmpOutside = cmpInside.toBuilder().setKey(bytes("app")).build();
    assertTrue(kv.txn(TxnRequest.newBuilder().addCompare(cmpInside).addSuccess(inside).build()).getSucceeded());
    fails(Status.Code.PERMISSION_DENIED, () -> kv.txn(TxnRequest.newBuilder().addCompare(cmpOutside).addSuccess(inside).build()));
    fails(Status.Code.PERMISSION_DENIED, () -> kv.txn(TxnRequest.newBuilder().addCompare(cmpInside).addSuccess(inside).addFailure(outside).build()));
    fails(
        Status.Code.PERMISSION_DENIED,
        () ->
            kv.txn(
                TxnRequest.newBuilder()
                    .addSuccess(TxnOp.newBuilder().setRange(TxnRange.newBuilder().setPrefix(bytes("app"))))
                    .build()));
    // delete-range: up to the prefix end, not past it
    kv.delete(DeleteRequest.newBuilder().setKey(bytes("app/new")).setEnd(bytes("app0")).build());
    fails(Status.Code.PERMISSION_DENIED, () -> kv.delete(DeleteRequest.newBuilder().setKey(bytes("app/new")).setEnd(bytes("app0\0")).build()));
    fails(Status.Code.PERMISSION_DENIED, () -> kv.delete(DeleteRequest.newBuilder().setKey(bytes("app/new")).setToEnd(true).build()));
    assertEquals(bytes("v-app0"), kv(l, login(l, "root", ROOT_PASSWORD)).get(get("app0")).getKv().getValue());
    // watch
    assertTrue(watch(l, token, WatchCreateRequest.newBuilder().setPrefix(bytes("app/")).build()).getCreated());
    assertTrue(watch(l, token, WatchCreateRequest.newBuilder().setKey(bytes("app/z")).build()).getCreated());
    for (WatchCreateRequest denied :
        List.of(
            WatchCreateRequest.newBuilder().setKey(bytes("app0")).build(),
            WatchCreateRequest.newBuilder().setPrefix(bytes("app")).build(),
            WatchCreateRequest.newBuilder().setKey(bytes("app/")).setToEnd(true).build())) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> watch(l, token, denied));
      assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    }
  }

  @Test
  void javaClientLogsInAndMapsRefusalsToTypedExceptions() {
    List<String> endpoints = cluster.endpoints();
    try (io.ternkv.client.TernClient app =
            io.ternkv.client.TernClient.builder().endpoints(endpoints).credentials("app", APP_PASSWORD).build();
        io.ternkv.client.TernClient root =
            io.ternkv.client.TernClient.builder().endpoints(endpoints).credentials("root", ROOT_PASSWORD).build();
        io.ternkv.client.TernClient anonymous = io.ternkv.client.TernClient.builder().endpoints(endpoints).build();
        io.ternkv.client.TernClient wrong =
            io.ternkv.client.TernClient.builder().endpoints(endpoints).credentials("victim", "not-it").build()) {
      app.put("app/client", "1");
      assertEquals("1", app.get("app/client").orElseThrow().valueUtf8());
      io.ternkv.client.PermissionDeniedException denied =
          assertThrows(io.ternkv.client.PermissionDeniedException.class, () -> app.put("other", "1"));
      assertTrue(denied.getMessage().contains("user app may not write key \"other\""), denied.getMessage());
      assertEquals(io.ternkv.client.ErrorCode.PERMISSION_DENIED, denied.code());
      assertThrows(io.ternkv.client.PermissionDeniedException.class, () -> app.auth().users());
      assertThrows(io.ternkv.client.AuthenticationException.class, () -> anonymous.get("app/client"));
      assertThrows(io.ternkv.client.AuthenticationException.class, () -> wrong.get("app/client"));
      assertEquals(java.util.Optional.of("app"), app.auth().status().user());
      assertTrue(root.auth().users().containsAll(List.of("app", "reader", "root")));
      assertEquals(List.of("app-rw"), root.auth().user("app").roles());
      io.ternkv.client.RoleInfo role = root.auth().role("app-r");
      assertEquals(
          List.of(new io.ternkv.client.RolePermission(io.ternkv.client.PermissionType.READ, io.ternkv.client.KeyRange.prefix("app/"))),
          role.permissions());
      root.auth().addRole("client-made");
      root.auth().grantPermission("client-made", io.ternkv.client.PermissionType.WRITE, "x".getBytes(UTF_8));
      assertEquals(1, root.auth().role("client-made").permissions().size());
      root.auth().revokePermission("client-made", io.ternkv.client.AuthAdmin.single("x".getBytes(UTF_8)));
      assertEquals(0, root.auth().role("client-made").permissions().size());
      root.auth().deleteRole("client-made");
    }
  }

  @Test
  void laggingNodeGetsUsersThroughASnapshotInstall() throws Exception {
    try (LocalCluster c =
            LocalCluster.builder().nodes(3).configure(b -> b.snapshotThreshold(50).logSegmentBytes(16 * 1024)).start();
        io.ternkv.client.TernClient admin =
            io.ternkv.client.TernClient.builder().endpoints(c.endpoints()).credentials("root", ROOT_PASSWORD).build()) {
      int leader = c.awaitLeader(Duration.ofSeconds(20));
      int lagging = (leader + 1) % 3;
      admin.put("first", "1");
      Thread.sleep(500);
      c.stopNode(lagging);
      admin.auth().addUser("root", ROOT_PASSWORD);
      admin.auth().grantRole("root", "root");
      admin.auth().enable();
      String value = "x".repeat(200);
      for (int i = 0; i < 600; i++) {
        admin.put("bulk/" + i, value);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (c.node(c.awaitLeader(Duration.ofSeconds(20))).status().snapshotIndex() < 500) {
        assertTrue(System.nanoTime() < deadline, "no snapshot past the lagging node");
        Thread.sleep(100);
      }
      c.startNode(lagging);
      ManagedChannel ch = NettyChannelBuilder.forTarget(c.endpoint(lagging)).usePlaintext().build();
      try {
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
          try {
            // Served by the lagging node from the state the snapshot gave it.
            String token =
                withToken(AuthGrpc.newBlockingStub(ch), null)
                    .authenticate(AuthenticateRequest.newBuilder().setName("root").setPassword(ROOT_PASSWORD).build())
                    .getToken();
            assertFalse(token.isEmpty());
            GetRequest stale = GetRequest.newBuilder().setKey(bytes("bulk/599")).setConsistency(ReadConsistency.READ_STALE).build();
            if (withToken(KVGrpc.newBlockingStub(ch), token).get(stale).hasKv()) {
              break;
            }
          } catch (StatusRuntimeException | AssertionError e) {
            if (System.nanoTime() > deadline) {
              throw e;
            }
          }
          Thread.sleep(200);
        }
        assertTrue(c.node(lagging).status().snapshotsInstalled() >= 1);
        fails(Status.Code.UNAUTHENTICATED, () -> withToken(KVGrpc.newBlockingStub(ch), null).get(get("bulk/1")));
      } finally {
        ch.shutdownNow();
      }
    }
  }

  /** Opens a watch and returns its first response, or throws the stream's error. */
  static WatchResponse watch(int node, String token, WatchCreateRequest create) {
    LinkedBlockingQueue<Object> got = new LinkedBlockingQueue<>();
    StreamObserver<WatchRequest> requests =
        withToken(WatchGrpc.newStub(channels.get(node)), token)
            .watch(
                new StreamObserver<>() {
                  @Override
                  public void onNext(WatchResponse r) {
                    got.add(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    got.add(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(WatchRequest.newBuilder().setCreate(create).build());
    try {
      Object first = got.poll(15, TimeUnit.SECONDS);
      if (first instanceof StatusRuntimeException e) {
        throw e;
      }
      if (first instanceof Throwable t) {
        throw new AssertionError(t);
      }
      return (WatchResponse) first;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    } finally {
      requests.onError(Status.CANCELLED.asRuntimeException());
    }
  }

  @Test
  void clusterOperationsNeedTheRootRole() {
    int l = leader();
    String token = login(l, "app", APP_PASSWORD);
    ClusterGrpc.ClusterBlockingStub cluster = withToken(ClusterGrpc.newBlockingStub(channels.get(l)), token);
    assertFalse(cluster.status(StatusRequest.getDefaultInstance()).getNodeId().isEmpty());
    fails(Status.Code.PERMISSION_DENIED, () -> cluster.transferLeader(TransferLeaderRequest.newBuilder().setId("n1").build()));
    fails(Status.Code.PERMISSION_DENIED, () -> cluster.removeMember(RemoveMemberRequest.newBuilder().setId("n1").build()));
    StatusRuntimeException add =
        fails(
            Status.Code.PERMISSION_DENIED,
            () ->
                cluster.addMember(
                    AddMemberRequest.newBuilder()
                        .setMember(Member.newBuilder().setId("n9").setClientAddress("127.0.0.1:1").setRaftAddress("127.0.0.1:2"))
                        .build()));
    assertTrue(add.getStatus().getDescription().contains("add a member"), add.getStatus().getDescription());
    fails(Status.Code.PERMISSION_DENIED, () -> kv(l, token).compact(CompactRequest.newBuilder().setRevision(1).build()));
    fails(
        Status.Code.PERMISSION_DENIED,
        () -> withToken(MaintenanceGrpc.newBlockingStub(channels.get(l)), token).backup(BackupRequest.getDefaultInstance()).next());
    // Root may: a backup starts.
    String rootToken = login(l, "root", ROOT_PASSWORD);
    assertTrue(withToken(MaintenanceGrpc.newBlockingStub(channels.get(l)), rootToken).backup(BackupRequest.getDefaultInstance()).next().hasInfo());
    // Leases need any user; the names of a lease's keys need read permission on them.
    LeaseGrpc.LeaseBlockingStub leases = withToken(LeaseGrpc.newBlockingStub(channels.get(l)), token);
    long lease = leases.leaseGrant(LeaseGrantRequest.newBuilder().setTtlMs(60_000).build()).getId();
    assertTrue(lease > 0);
    kv(l, rootToken).put(PutRequest.newBuilder().setKey(bytes("other/leased")).setValue(bytes("1")).setLease(lease).build());
    io.ternkv.proto.v1.LeaseTimeToLiveRequest ttl = io.ternkv.proto.v1.LeaseTimeToLiveRequest.newBuilder().setId(lease).build();
    assertTrue(leases.leaseTimeToLive(ttl).getTtlMs() > 0);
    fails(Status.Code.PERMISSION_DENIED, () -> leases.leaseTimeToLive(ttl.toBuilder().setKeys(true).build()));
    assertEquals(1, withToken(LeaseGrpc.newBlockingStub(channels.get(l)), rootToken).leaseTimeToLive(ttl.toBuilder().setKeys(true).build()).getKeysCount());
    // Attaching a key to a lease is a put: refused outside the user's keys.
    fails(
        Status.Code.PERMISSION_DENIED,
        () -> kv(l, token).put(PutRequest.newBuilder().setKey(bytes("other/x")).setValue(bytes("1")).setLease(lease).build()));
  }

  @Test
  void tokenFromTheLeaderServesAStaleReadOnAFollower() throws Exception {
    int l = leader();
    int follower = (l + 1) % 3;
    String token = login(l, "app", APP_PASSWORD);
    GetRequest stale = GetRequest.newBuilder().setKey(bytes("app/a")).setConsistency(ReadConsistency.READ_STALE).build();
    assertEquals(bytes("v-app/a"), kv(follower, token).get(stale).getKv().getValue());
    fails(Status.Code.PERMISSION_DENIED, () -> kv(follower, token).get(stale.toBuilder().setKey(bytes("other")).build()));
    fails(Status.Code.UNAUTHENTICATED, () -> kv(follower, null).get(stale));
  }

  @Test
  void passwordChangeInvalidatesOlderTokens() throws Exception {
    int l = leader();
    String rootToken = login(l, "root", ROOT_PASSWORD);
    auth(l, rootToken).userAdd(UserAddRequest.newBuilder().setName("temp").setPassword("Qq1-temp-pass-axolotl").build());
    auth(l, rootToken).userGrantRole(UserGrantRoleRequest.newBuilder().setUser("temp").setRole("app-r").build());
    String old = login(l, "temp", "Qq1-temp-pass-axolotl");
    kv(l, old).get(get("app/a"));
    auth(l, rootToken).userChangePassword(UserChangePasswordRequest.newBuilder().setName("temp").setPassword("Nw7-new-pass-pangolin").build());
    StatusRuntimeException e = fails(Status.Code.UNAUTHENTICATED, () -> kv(l, old).get(get("app/a")));
    assertTrue(e.getStatus().getDescription().contains("log in again"));
    fails(Status.Code.UNAUTHENTICATED, () -> login(l, "temp", "Qq1-temp-pass-axolotl"));
    Thread.sleep(io.ternkv.server.auth.LoginThrottle.BASE_DELAY_MILLIS + 50); // the failed login's slow-down
    String fresh = login(l, "temp", "Nw7-new-pass-pangolin");
    assertEquals(bytes("v-app/a"), kv(l, fresh).get(get("app/a")).getKv().getValue());
  }

  @Test
  void authStateSurvivesARestartAndTokensExpire(@TempDir Path other) throws Exception {
    Path data = other.resolve("restart");
    LocalCluster first = LocalCluster.builder().nodes(3).dataDir(data).configure(b -> b.authTokenTtl(Duration.ofSeconds(1))).start();
    List<ManagedChannel> mine = new ArrayList<>();
    try {
      int l = first.awaitLeader(Duration.ofSeconds(20));
      ManagedChannel ch = NettyChannelBuilder.forTarget(first.endpoint(l)).usePlaintext().build();
      mine.add(ch);
      AuthGrpc.AuthBlockingStub admin = withToken(AuthGrpc.newBlockingStub(ch), null);
      admin.userAdd(UserAddRequest.newBuilder().setName("root").setPassword(ROOT_PASSWORD).build());
      admin.userGrantRole(UserGrantRoleRequest.newBuilder().setUser("root").setRole("root").build());
      admin.authEnable(AuthEnableRequest.getDefaultInstance());
      String token = withToken(AuthGrpc.newBlockingStub(ch), null).authenticate(AuthenticateRequest.newBuilder().setName("root").setPassword(ROOT_PASSWORD).build()).getToken();
      withToken(KVGrpc.newBlockingStub(ch), token).put(PutRequest.newBuilder().setKey(bytes("k")).setValue(bytes("v")).build());
      try (io.ternkv.client.TernClient client =
          io.ternkv.client.TernClient.builder().endpoints(first.endpoints()).credentials("root", ROOT_PASSWORD).build()) {
        client.put("c", "1");
        Thread.sleep(1500);
        // The client's token expired meanwhile: it logs in again by itself.
        assertEquals("1", client.get("c").orElseThrow().valueUtf8());
        Thread.sleep(1500);
        // A watch opened with an expired token logs in again too, and sees what follows.
        LinkedBlockingQueue<Object> seen = new LinkedBlockingQueue<>();
        io.ternkv.client.Watch watch =
            client.watch(
                io.ternkv.client.WatchOptions.key("c".getBytes(UTF_8)),
                new io.ternkv.client.WatchListener() {
                  @Override
                  public void onEvents(List<io.ternkv.client.WatchEvent> events) {
                    seen.addAll(events);
                  }

                  @Override
                  public void onCancelled(io.ternkv.client.TernException reason) {
                    seen.add(reason);
                  }
                });
        try {
          Thread.sleep(500); // the watch meets the expired token before any put logs in again
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          Object got = null;
          while (got == null && System.nanoTime() < deadline) {
            client.put("c", "2");
            got = seen.poll(200, TimeUnit.MILLISECONDS);
          }
          assertTrue(got instanceof io.ternkv.client.WatchEvent, String.valueOf(got));
        } finally {
          watch.close();
        }
      }
      StatusRuntimeException expired =
          fails(Status.Code.UNAUTHENTICATED, () -> withToken(KVGrpc.newBlockingStub(ch), token).get(get("k")));
      assertTrue(expired.getStatus().getDescription().contains("expired"));
    } finally {
      mine.forEach(ManagedChannel::shutdownNow);
      mine.clear();
      first.close();
    }
    LocalCluster second = LocalCluster.builder().nodes(3).dataDir(data).start();
    try {
      int l = second.awaitLeader(Duration.ofSeconds(20));
      ManagedChannel ch = NettyChannelBuilder.forTarget(second.endpoint(l)).usePlaintext().build();
      mine.add(ch);
      fails(Status.Code.UNAUTHENTICATED, () -> withToken(KVGrpc.newBlockingStub(ch), null).get(get("k")));
      String token = withToken(AuthGrpc.newBlockingStub(ch), null).authenticate(AuthenticateRequest.newBuilder().setName("root").setPassword(ROOT_PASSWORD).build()).getToken();
      assertEquals(bytes("v"), withToken(KVGrpc.newBlockingStub(ch), token).get(get("k")).getKv().getValue());
    } finally {
      mine.forEach(ManagedChannel::shutdownNow);
      second.close();
    }
    assertNoPasswordIn(data, String.join("\n", logLines));
  }
}
