package io.ternkv.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ternkv.client.Compare;
import io.ternkv.client.Compare.Operator;
import io.ternkv.client.InvalidArgumentException;
import io.ternkv.client.KeyRange;
import io.ternkv.client.KeyValue;
import io.ternkv.client.RangeResult;
import io.ternkv.client.ReadConsistency;
import io.ternkv.client.TernClient;
import io.ternkv.client.Txn;
import io.ternkv.client.TxnOp;
import io.ternkv.client.TxnResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Transactions through the real client, gRPC, Raft and store of a 3-node cluster. */
class TxnIT {
  static LocalCluster cluster;
  static TernClient client;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(3).start();
    cluster.awaitLeader(Duration.ofSeconds(20));
    client = newClient(0);
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }

  /** A client whose first endpoint is node {@code first}, so clients start on different nodes. */
  static TernClient newClient(int first) {
    List<String> endpoints = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      endpoints.add(cluster.endpoint((first + i) % cluster.size()));
    }
    return TernClient.builder().endpoints(endpoints).requestTimeout(Duration.ofSeconds(30)).build();
  }

  static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void compareAndSetCounterFrom16ClientsTimes200EndsAtExactly3200() throws Exception {
    byte[] key = b("txn/counter");
    int clients = 16;
    int increments = 200;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<TernClient> opened = new ArrayList<>();
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        TernClient mine = newClient(c);
        opened.add(mine);
        done.add(pool.submit(() -> increment(mine, key, increments)));
      }
      int conflicts = 0;
      for (Future<Integer> f : done) {
        conflicts += f.get();
      }
      KeyValue last = client.get(key).orElseThrow();
      assertEquals("3200", last.valueUtf8(), "after " + conflicts + " lost races");
      assertEquals(clients * increments, last.version());
    } finally {
      pool.shutdownNow();
      opened.forEach(TernClient::close);
    }
    // Every replica applied the same history.
    for (int i = 0; i < cluster.size(); i++) {
      assertEquals("3200", awaitStale(i, key, "3200"), "node " + i);
    }
  }

  /** Adds one, {@code times} times; a lost race returns the current value in the same call. */
  static int increment(TernClient c, byte[] key, int times) {
    int conflicts = 0;
    Optional<KeyValue> seen = c.get(key);
    for (int i = 0; i < times; ) {
      long expected = seen.map(KeyValue::modRevision).orElse(0L);
      long next = seen.map(kv -> Long.parseLong(kv.valueUtf8())).orElse(0L) + 1;
      TxnResult r =
          c.txn(
              Txn.builder()
                  .when(Compare.modRevision(key, Operator.EQUAL, expected))
                  .then(TxnOp.put(key, b(Long.toString(next))), TxnOp.get(key))
                  .orElse(TxnOp.get(key))
                  .build());
      seen = r.succeeded() ? r.results().get(1).kv() : r.results().get(0).kv();
      if (r.succeeded()) {
        i++;
      } else {
        conflicts++;
      }
    }
    return conflicts;
  }

  static String awaitStale(int node, byte[] key, String expected) throws InterruptedException {
    try (TernClient one =
        TernClient.builder()
            .endpoints(cluster.endpoint(node))
            .requestTimeout(Duration.ofSeconds(10))
            .build()) {
      String got = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < deadline) {
        got = one.get(key, ReadConsistency.STALE).map(KeyValue::valueUtf8).orElse(null);
        if (expected.equals(got)) {
          return got;
        }
        Thread.sleep(20);
      }
      return got;
    }
  }

  @Test
  void allWritesOfATransactionShareOneRevision() {
    TxnResult r =
        client.txn(
            Txn.builder()
                .then(
                    TxnOp.put(b("one/a"), b("1")),
                    TxnOp.put(b("one/b"), b("2")),
                    TxnOp.delete(b("one/never-existed")),
                    TxnOp.range(KeyRange.prefix("one/"), 0))
                .build());
    assertTrue(r.succeeded());
    long rev = r.header().revision();
    assertEquals(rev, client.get(b("one/a")).orElseThrow().modRevision());
    assertEquals(rev, client.get(b("one/b")).orElseThrow().modRevision());
    assertEquals(0, r.results().get(2).deleted());
    // The range ran after the puts, inside the transaction.
    assertEquals(2, r.results().get(3).kvs().size());
    // A transaction that writes nothing keeps the revision.
    TxnResult readOnly = client.txn(Txn.builder().then(TxnOp.get(b("one/a"))).build());
    assertEquals(rev, readOnly.header().revision());
    assertEquals("1", readOnly.results().get(0).kv().orElseThrow().valueUtf8());
  }

  @Test
  void comparesOnVersionRevisionsAndValue() {
    byte[] k = b("cmp/k");
    assertTrue(client.putIfAbsent(k, b("m")));
    assertFalse(client.putIfAbsent(k, b("other")), "the key exists now");
    KeyValue kv = client.get(k).orElseThrow();
    assertEquals("m", kv.valueUtf8());

    assertTrue(holds(Compare.version(k, Operator.EQUAL, 1)));
    assertTrue(holds(Compare.version(k, Operator.GREATER, 0)));
    assertFalse(holds(Compare.version(k, Operator.LESS, 1)));
    assertTrue(holds(Compare.createRevision(k, Operator.EQUAL, kv.createRevision())));
    assertTrue(holds(Compare.modRevision(k, Operator.NOT_EQUAL, kv.modRevision() + 1)));
    assertTrue(holds(Compare.value(k, Operator.EQUAL, b("m"))));
    assertTrue(holds(Compare.value(k, Operator.GREATER, b("a"))));
    assertTrue(holds(Compare.value(k, Operator.LESS, b("z"))));
    assertFalse(holds(Compare.value(k, Operator.NOT_EQUAL, b("m"))));
    // Unsigned byte order: 0x80 sorts after 'm'.
    assertTrue(holds(Compare.value(k, Operator.LESS, new byte[] {(byte) 0x80})));

    byte[] missing = b("cmp/missing");
    assertTrue(holds(Compare.absent(missing)));
    assertTrue(holds(Compare.modRevision(missing, Operator.EQUAL, 0)));
    assertFalse(holds(Compare.value(missing, Operator.NOT_EQUAL, b("x"))), "no value to compare");
    assertFalse(holds(Compare.value(missing, Operator.EQUAL, b(""))));

    assertFalse(client.compareAndSet(k, kv.modRevision() + 7, b("no")));
    assertTrue(client.compareAndSet(k, kv.modRevision(), b("n")));
    long mod = client.get(k).orElseThrow().modRevision();
    assertFalse(client.compareAndDelete(k, kv.modRevision()), "stale revision");
    assertTrue(client.compareAndDelete(k, mod));
    assertTrue(client.get(k).isEmpty());
    assertFalse(client.compareAndDelete(k, 0), "an absent key is not deleted");
  }

  static boolean holds(Compare c) {
    return client.txn(Txn.builder().when(c).build()).succeeded();
  }

  @Test
  void deleteRangeAndPrefixCountWhatTheyRemove() {
    for (String k : List.of("del/a", "del/b", "del/c", "del/d", "dem/x")) {
      client.put(b(k), b("v"));
    }
    TxnResult r =
        client.txn(
            Txn.builder()
                .then(
                    TxnOp.delete(KeyRange.between(b("del/a"), b("del/c"))),
                    TxnOp.delete(KeyRange.prefix("del/")))
                .build());
    assertEquals(2, r.results().get(0).deleted());
    assertEquals(2, r.results().get(1).deleted());
    assertEquals(0, client.range(KeyRange.prefix("del/"), 0).kvs().size());
    assertTrue(client.get(b("dem/x")).isPresent(), "outside the ranges");
  }

  @Test
  void badTransactionsAreRefusedAndChangeNothing() {
    client.put(b("bad/anchor"), b("v"));
    long revision = client.get(b("bad/anchor")).orElseThrow().modRevision();
    List<Txn> bad =
        List.of(
            Txn.builder().then(TxnOp.put(b("bad/x"), b("1")), TxnOp.put(b("bad/x"), b("2"))).build(),
            Txn.builder().then(TxnOp.put(b("bad/y"), b("1")), TxnOp.delete(KeyRange.prefix("bad/"))).build(),
            Txn.builder().then(TxnOp.put(new byte[0], b("1"))).build(),
            Txn.builder().when(Compare.absent(new byte[0])).build(),
            Txn.builder().then(TxnOp.put(b("bad/big"), new byte[1024 * 1024 + 1])).build(),
            tooMany(),
            tooLarge());
    for (Txn t : bad) {
      InvalidArgumentException e =
          assertThrows(InvalidArgumentException.class, () -> client.txn(t), t.toString());
      assertFalse(e.isRetriable());
    }
    assertEquals(
        revision,
        client.txn(Txn.builder().build()).header().revision(),
        "no refused transaction reached the log");
    assertTrue(client.get(b("bad/x")).isEmpty());
  }

  @Test
  void requestsLargerThanANodeAcceptsFailAtOnceAsBadInput() {
    // Larger than gRPC lets in: refused by the transport, still bad input, not overload.
    InvalidArgumentException e =
        assertThrows(
            InvalidArgumentException.class, () -> client.put(b("huge"), new byte[6 * 1024 * 1024]));
    assertFalse(e.isRetriable());
    assertTrue(e.getMessage().contains("too large"), e.getMessage());
    // Past the value limit but within the transport's: our own check names the limit.
    InvalidArgumentException e2 =
        assertThrows(
            InvalidArgumentException.class, () -> client.put(b("huge"), new byte[2 * 1024 * 1024]));
    assertTrue(e2.getMessage().contains("limit is 1048576 bytes"), e2.getMessage());
    assertTrue(client.get(b("huge")).isEmpty());
  }

  @Test
  void aKeyOfTheLongestAllowedLengthCanBeReadInATransactionAndPagedPast() {
    byte[] longest = new byte[4096];
    java.util.Arrays.fill(longest, (byte) 'k');
    client.put(longest, b("v"));
    TxnResult r = client.txn(Txn.builder().then(TxnOp.get(longest)).build());
    assertEquals("v", r.results().get(0).kv().orElseThrow().valueUtf8());
    assertTrue(client.range(KeyRange.all().after(longest), 1).kvs().stream().noneMatch(kv -> java.util.Arrays.equals(kv.key(), longest)));
  }

  @Test
  void rangeStepsShareOneReadBudget() {
    byte[] mib = new byte[1024 * 1024];
    for (int i = 0; i < 6; i++) {
      client.put(b("budget/" + i), mib);
    }
    TxnResult r =
        client.txn(
            Txn.builder()
                .then(
                    TxnOp.range(KeyRange.prefix("budget/"), 0),
                    TxnOp.range(KeyRange.prefix("budget/"), 0),
                    TxnOp.range(KeyRange.prefix("budget/"), 0))
                .build());
    int first = r.results().get(0).kvs().size();
    assertTrue(first >= 1 && first < 6, "the first step stops at the budget: " + first);
    assertTrue(r.results().get(0).more());
    for (int i = 1; i < 3; i++) {
      assertEquals(0, r.results().get(i).kvs().size(), "budget spent");
      assertTrue(r.results().get(i).more(), "but the range has keys");
    }
    client.txn(Txn.builder().then(TxnOp.delete(KeyRange.prefix("budget/"))).build());
  }

  static Txn tooMany() {
    Txn.Builder t = Txn.builder();
    for (int i = 0; i < 1025; i++) {
      t.then(TxnOp.get(b("bad/" + i)));
    }
    return t.build();
  }

  static Txn tooLarge() {
    Txn.Builder t = Txn.builder();
    for (int i = 0; i < 4; i++) {
      t.then(TxnOp.put(b("bad/large/" + i), new byte[1024 * 1024]));
    }
    return t.build();
  }

  @Test
  void readersAtEveryNodeNeverSeePartOfATransaction() throws Exception {
    int keys = 20;
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<String> torn = new AtomicReference<>();
    List<Thread> readers = new ArrayList<>();
    List<TernClient> readerClients = new ArrayList<>();
    for (int node = 0; node < cluster.size(); node++) {
      TernClient reader =
          TernClient.builder()
              .endpoints(cluster.endpoint(node))
              .requestTimeout(Duration.ofSeconds(10))
              .build();
      readerClients.add(reader);
      Thread t =
          new Thread(
              () -> {
                while (!stop.get() && torn.get() == null) {
                  RangeResult page =
                      reader.range(KeyRange.prefix("atomic/"), 0, ReadConsistency.STALE);
                  long distinct =
                      page.kvs().stream().map(KeyValue::valueUtf8).distinct().count();
                  if (distinct > 1 || (!page.kvs().isEmpty() && page.kvs().size() != keys)) {
                    torn.set(page.kvs().size() + " keys with " + distinct + " values");
                  }
                }
              });
      t.start();
      readers.add(t);
    }
    try {
      for (int round = 0; round < 300 && torn.get() == null; round++) {
        Txn.Builder t = Txn.builder();
        for (int k = 0; k < keys; k++) {
          t.then(TxnOp.put(b(String.format("atomic/%02d", k)), b("round-" + round)));
        }
        client.txn(t.build());
      }
    } finally {
      stop.set(true);
      for (Thread t : readers) {
        t.join();
      }
      readerClients.forEach(TernClient::close);
    }
    assertEquals(null, torn.get(), "a reader saw part of a transaction");
  }
}
