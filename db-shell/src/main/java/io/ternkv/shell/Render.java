package io.ternkv.shell;

import com.google.gson.JsonObject;
import io.ternkv.client.ClusterStatus;
import io.ternkv.client.DeleteResult;
import io.ternkv.client.KeyValue;
import io.ternkv.client.Lease;
import io.ternkv.client.LeaseInfo;
import io.ternkv.client.Member;
import io.ternkv.client.TxnResult;
import io.ternkv.client.WriteResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Formats command results in one output format: {@code table} for people, {@code plain} (one
 * result per line, values in the form the shell reads back) for pipes, {@code json} (one object
 * per line) for programs. Every method returns whole lines, each ending in a newline, or nothing.
 *
 * <p>Kept apart from the client calls so each format can be tested without a cluster.
 * Threading: immutable.
 */
final class Render {
  /** A key with its value and counters, as the shell shows them. */
  record Entry(byte[] key, byte[] value, long createRevision, long modRevision, long version) {
    static Entry of(KeyValue kv) {
      return new Entry(kv.key(), kv.value(), kv.createRevision(), kv.modRevision(), kv.version());
    }
  }

  /** One member and what it said about itself, or a null status when it could not be reached. */
  record NodeStatus(Member member, ClusterStatus status) {}

  private final Output output;
  private final boolean hex;

  Render(Output output, boolean hex) {
    this.output = output;
    this.hex = hex;
  }

  String put(byte[] key, WriteResult w) {
    return put(key, w, false);
  }

  /** A put's result; with {@code showPrevious}, also the version it replaced (or that none was). */
  String put(byte[] key, WriteResult w, boolean showPrevious) {
    if (output == Output.JSON) {
      JsonObject o = Output.object(ordered("op", "put", "key", Output.jsonBytes(key), "revision", w.revision(), "index", w.raftIndex()));
      if (showPrevious) {
        o.add("prev", w.previous().map(kv -> (com.google.gson.JsonElement) entryJson(null, Entry.of(kv))).orElse(com.google.gson.JsonNull.INSTANCE));
      }
      return o + "\n";
    }
    String line = "OK (revision " + w.revision() + ")\n";
    if (!showPrevious) {
      return line;
    }
    return line + w.previous().map(kv -> "previous: " + show(kv.value()) + " (revision " + kv.modRevision() + ")\n").orElse("previous: (none)\n");
  }

  String get(byte[] key, Optional<Entry> kv) {
    return switch (output) {
      case JSON -> kv.isEmpty()
          ? json(ordered("op", "get", "key", Output.jsonBytes(key), "found", false))
          : json(entryJson("get", kv.get()));
      case PLAIN -> kv.map(v -> show(v.value())).orElse("(not found)") + "\n";
      case TABLE -> kv.map(v -> entryTable(List.of(v))).orElse("(not found)\n");
    };
  }

  String del(byte[] key, DeleteResult d) {
    return del(key, d, false);
  }

  /** A delete's count; with {@code showPrevious}, also every deleted version. */
  String del(byte[] key, DeleteResult d, boolean showPrevious) {
    if (output == Output.JSON) {
      JsonObject o = Output.object(ordered("op", "del", "key", Output.jsonBytes(key), "deleted", d.deleted(), "revision", d.header().revision()));
      if (showPrevious) {
        List<JsonObject> prev = new ArrayList<>();
        d.previous().forEach(kv -> prev.add(entryJson(null, Entry.of(kv))));
        o.add("prev", Output.array(prev));
      }
      return o + "\n";
    }
    String line = "deleted " + d.deleted() + "\n";
    if (!showPrevious || d.previous().isEmpty()) {
      return line;
    }
    if (output == Output.PLAIN) {
      StringBuilder b = new StringBuilder(line);
      d.previous().forEach(kv -> b.append(show(kv.key())).append('\t').append(show(kv.value())).append('\n'));
      return b.toString();
    }
    return line + entryTable(d.previous().stream().map(Entry::of).toList());
  }

  /** A compaction's confirmation. */
  String compacted(long revision) {
    if (output == Output.JSON) {
      return json(ordered("op", "compact", "revision", revision));
    }
    return "compacted: revisions before " + revision + " can no longer be read\n";
  }

  /** One watched change: a line per event. */
  String event(io.ternkv.client.WatchEvent e) {
    boolean put = e.type() == io.ternkv.client.WatchEvent.Type.PUT;
    if (output == Output.JSON) {
      JsonObject o =
          Output.object(
              ordered("op", "watch", "type", put ? "put" : "delete", "key", Output.jsonBytes(e.kv().key()), "revision", e.revision()));
      if (put) {
        o.add("value", Output.jsonBytes(e.kv().value()));
      }
      e.previous().ifPresent(p -> o.add("prev", Output.jsonBytes(p.value())));
      return o + "\n";
    }
    StringBuilder b = new StringBuilder();
    if (output == Output.TABLE) {
      b.append(e.revision()).append(' ');
    }
    b.append(put ? "PUT " : "DELETE ").append(show(e.kv().key()));
    if (put) {
      b.append(' ').append(show(e.kv().value()));
    }
    e.previous().ifPresent(p -> b.append(output == Output.TABLE ? " (was " + show(p.value()) + ")" : "\t" + show(p.value())));
    return b.append('\n').toString();
  }

  /** A watch's progress notice (table output only; the others stay silent). */
  String progress(long revision) {
    return output == Output.TABLE ? "(up to date at revision " + revision + ")\n" : "";
  }

  String scan(List<Entry> kvs, boolean more) {
    switch (output) {
      case JSON -> {
        List<JsonObject> list = new ArrayList<>();
        kvs.forEach(kv -> list.add(entryJson(null, kv)));
        return json(ordered("op", "scan", "kvs", Output.array(list), "more", more));
      }
      case PLAIN -> {
        StringBuilder b = new StringBuilder();
        kvs.forEach(kv -> b.append(show(kv.key())).append('\t').append(show(kv.value())).append('\n'));
        return b.toString();
      }
      default -> {
        String table = kvs.isEmpty() ? "(no keys)\n" : entryTable(kvs);
        return more ? table + "(more keys; raise --limit or scan from after the last key)\n" : table;
      }
    }
  }

  /** @param leaderId the leader's id, or empty when unknown */
  String members(List<Member> members, String leaderId) {
    if (output == Output.JSON) {
      List<JsonObject> list = new ArrayList<>();
      for (Member m : members) {
        list.add(
            Output.object(
                ordered("id", m.id(), "client", m.clientAddress(), "raft", m.raftAddress(), "voter", m.voter(), "leader", m.id().equals(leaderId))));
      }
      return json(ordered("op", "members", "members", Output.array(list)));
    }
    List<List<String>> rows = new ArrayList<>();
    for (Member m : members) {
      rows.add(List.of(m.id(), m.clientAddress(), m.raftAddress(), m.voter() ? "voter" : "learner", m.id().equals(leaderId) ? "leader" : ""));
    }
    return Output.table(List.of("ID", "CLIENT", "RAFT", "ROLE", ""), rows);
  }

  /**
   * Every node's own report, plus, from the leader's report, how far each other member is behind:
   * MATCH is the highest log index the leader knows it stores, LAG the entries it is missing.
   */
  String status(List<NodeStatus> nodes) {
    ClusterStatus leader = null;
    for (NodeStatus n : nodes) {
      ClusterStatus s = n.status();
      if (s != null && s.role() == io.ternkv.client.Role.LEADER && (leader == null || s.term() > leader.term())) {
        leader = s;
      }
    }
    List<List<String>> rows = new ArrayList<>();
    List<JsonObject> json = new ArrayList<>();
    for (NodeStatus n : nodes) {
      Member m = n.member();
      ClusterStatus s = n.status();
      if (s == null) {
        rows.add(List.of(m.id(), m.clientAddress(), "unreachable", "-", "-", "-", "-", "-", "-", "-", "-", "-"));
        json.add(Output.object(ordered("id", m.id(), "client", m.clientAddress(), "role", "unreachable")));
        continue;
      }
      String role = role(s.role());
      Optional<io.ternkv.client.FollowerProgress> progress =
          leader == null ? Optional.empty() : leader.follower(s.nodeId());
      rows.add(
          List.of(s.nodeId(), m.clientAddress(), role, Long.toString(s.term()), s.leaderId().orElse("-"), Long.toString(s.commitIndex()),
              Long.toString(s.appliedIndex()), progress.map(p -> Long.toString(p.matchIndex())).orElse("-"),
              progress.map(p -> Long.toString(p.lag())).orElse("-"), Long.toString(s.snapshotIndex()), bytes(s.dataBytes()),
              duration(s.uptime())));
      Map<String, Object> fields =
          ordered("id", s.nodeId(), "client", m.clientAddress(), "role", role, "term", s.term(), "leader", s.leaderId().orElse(""),
              "commit_index", s.commitIndex(), "applied_index", s.appliedIndex(), "last_index", s.lastIndex());
      progress.ifPresent(p -> {
        fields.put("match_index", p.matchIndex());
        fields.put("lag", p.lag());
      });
      fields.putAll(
          ordered("snapshot_index", s.snapshotIndex(), "data_bytes", s.dataBytes(), "uptime_ms", s.uptime().toMillis(),
              "snapshots_installed", s.snapshotsInstalled()));
      json.add(Output.object(fields));
    }
    if (output == Output.JSON) {
      return json(ordered("op", "status", "nodes", Output.array(json)));
    }
    return Output.table(
        List.of("ID", "CLIENT", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "MATCH", "LAG", "SNAPSHOT", "DATA", "UPTIME"), rows);
  }

  /** A role as the shell names it: a non-voting member is a learner, as in {@code members}. */
  static String role(io.ternkv.client.Role role) {
    return switch (role) {
      case LISTENER -> "learner";
      case NOT_MEMBER -> "not-member";
      default -> role.name().toLowerCase(Locale.ROOT);
    };
  }

  /** Bytes for people: {@code 512 B}, {@code 1.5 KiB}, {@code 3.2 MiB}; {@code -} when unknown. */
  static String bytes(long n) {
    if (n < 0) {
      return "-";
    }
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** A duration for people, to the second: {@code 45s}, {@code 12m03s}, {@code 3h07m}, {@code 2d04h}. */
  static String duration(java.time.Duration d) {
    long s = d.toSeconds();
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    if (s < 86400) {
      return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
    }
    return String.format(Locale.ROOT, "%dd%02dh", s / 86400, s % 86400 / 3600);
  }

  /** A membership change's result: who changed and the members after it. */
  String memberChange(String op, String id, List<Member> members) {
    if (output == Output.JSON) {
      List<JsonObject> list = new ArrayList<>();
      for (Member m : members) {
        list.add(Output.object(ordered("id", m.id(), "client", m.clientAddress(), "raft", m.raftAddress(), "voter", m.voter())));
      }
      return json(ordered("op", op, "id", id, "members", Output.array(list)));
    }
    StringBuilder b = new StringBuilder();
    for (Member m : members) {
      b.append(b.length() == 0 ? "" : ", ").append(m.id()).append(m.voter() ? "" : " (learner)");
    }
    String done = op.equals("member add") ? "added " + id + " as a voter" : "removed " + id;
    return done + "; members: " + b + "\n";
  }

  String leaderTransferred(String leader) {
    if (output == Output.JSON) {
      return json(ordered("op", "leader transfer", "leader", leader));
    }
    return "leader is now " + leader + "\n";
  }

  /** An import's or export's result: a JSON line, or nothing (the summary went to stderr). */
  /** A transaction's outcome, then one line (or JSON item) per operation of the branch that ran. */
  String txn(TxnSyntax.Parsed parsed, TxnResult r) {
    List<TxnSyntax.Op> ops = r.succeeded() ? parsed.then() : parsed.orElse();
    if (output == Output.JSON) {
      List<JsonObject> items = new ArrayList<>();
      for (int i = 0; i < ops.size() && i < r.results().size(); i++) {
        TxnSyntax.Op op = ops.get(i);
        TxnResult.OpResult res = r.results().get(i);
        items.add(
            switch (op.kind()) {
              case PUT -> Output.object(ordered("op", "put", "key", Output.jsonBytes(op.key())));
              case DEL -> Output.object(ordered("op", "del", "key", Output.jsonBytes(op.key()), "deleted", res.deleted()));
              case DEL_PREFIX -> Output.object(ordered("op", "del", "prefix", Output.jsonBytes(op.key()), "deleted", res.deleted()));
              case GET -> res.kv().isEmpty()
                  ? Output.object(ordered("op", "get", "key", Output.jsonBytes(op.key()), "found", false))
                  : entryJson("get", Entry.of(res.kv().get()));
            });
      }
      return json(ordered("op", "txn", "succeeded", r.succeeded(), "revision", r.header().revision(), "results", Output.array(items)));
    }
    StringBuilder b = new StringBuilder();
    b.append(r.succeeded() ? "succeeded" : "compare failed, ran else")
        .append(" (revision ")
        .append(r.header().revision())
        .append(")\n");
    for (int i = 0; i < ops.size() && i < r.results().size(); i++) {
      TxnSyntax.Op op = ops.get(i);
      TxnResult.OpResult res = r.results().get(i);
      b.append(
          switch (op.kind()) {
            case PUT -> "put " + show(op.key()) + ": OK";
            case DEL -> "del " + show(op.key()) + ": deleted " + res.deleted();
            case DEL_PREFIX -> "del --prefix " + show(op.key()) + ": deleted " + res.deleted();
            case GET -> "get " + show(op.key()) + ": " + res.kv().map(kv -> show(kv.value())).orElse("(not found)");
          });
      b.append('\n');
    }
    return b.toString();
  }

  String leaseGranted(Lease lease) {
    if (output == Output.JSON) {
      return json(ordered("op", "lease grant", "id", lease.id(), "ttl_ms", lease.ttl().toMillis()));
    }
    return output == Output.PLAIN
        ? lease.id() + "\n"
        : "lease " + lease.id() + " granted (TTL " + lease.ttl().toMillis() + " ms)\n";
  }

  String leaseRevoked(long id, long deleted) {
    if (output == Output.JSON) {
      return json(ordered("op", "lease revoke", "id", id, "deleted", deleted));
    }
    return "lease " + id + " revoked; deleted " + deleted + "\n";
  }

  String leaseKeptAlive(long id, java.time.Duration ttl) {
    if (output == Output.JSON) {
      return json(ordered("op", "lease keepalive", "id", id, "ttl_ms", ttl.toMillis()));
    }
    return "lease " + id + " kept alive (TTL " + ttl.toMillis() + " ms)\n";
  }

  String leaseInfo(LeaseInfo info) {
    if (output == Output.JSON) {
      List<com.google.gson.JsonElement> keys = info.keys().stream().map(Output::jsonBytes).toList();
      com.google.gson.JsonArray array = new com.google.gson.JsonArray();
      keys.forEach(array::add);
      return json(
          ordered(
              "op", "lease ttl", "id", info.id(), "found", info.remaining().isPresent(),
              "remaining_ms", info.remaining().map(java.time.Duration::toMillis).orElse(-1L),
              "granted_ms", info.granted().toMillis(), "keys", array));
    }
    if (info.remaining().isEmpty()) {
      return "lease " + info.id() + " not found (expired or revoked)\n";
    }
    StringBuilder b =
        new StringBuilder("lease " + info.id() + ": " + info.remaining().get().toMillis() + " ms left of "
            + info.granted().toMillis() + " ms; " + info.keys().size() + " keys\n");
    for (byte[] key : info.keys()) {
      b.append("  ").append(show(key)).append('\n');
    }
    return b.toString();
  }

  String leases(List<Long> ids) {
    if (output == Output.JSON) {
      com.google.gson.JsonArray array = new com.google.gson.JsonArray();
      ids.forEach(array::add);
      return json(ordered("op", "lease list", "ids", array));
    }
    if (ids.isEmpty()) {
      return output == Output.PLAIN ? "" : "(no leases)\n";
    }
    StringBuilder b = new StringBuilder();
    ids.forEach(id -> b.append(id).append('\n'));
    return b.toString();
  }

  /** A finished backup: where, how big, which revision, and its checksum. */
  String backup(String file, io.ternkv.client.BackupResult b) {
    if (output == Output.JSON) {
      return json(
          ordered("op", "backup", "file", file, "node", b.nodeId(), "revision", b.revision(), "keys", b.keys(), "bytes", b.bytes(), "sha256", b.sha256()));
    }
    return String.format(
        Locale.ROOT,
        "backup of revision %d (%,d keys, %,d bytes) from %s written to %s%nsha256 %s%n",
        b.revision(), b.keys(), b.bytes(), b.nodeId(), file, b.sha256());
  }

  String bulk(String op, String file, long rows) {
    return output == Output.JSON ? json(ordered("op", op, "file", file, "rows", rows)) : "";
  }

  private String show(byte[] bytes) {
    return Values.show(bytes, hex);
  }

  private String entryTable(List<Entry> kvs) {
    List<List<String>> rows = new ArrayList<>();
    for (Entry kv : kvs) {
      rows.add(
          List.of(show(kv.key()), Long.toString(kv.createRevision()), Long.toString(kv.modRevision()), Long.toString(kv.version()),
              show(kv.value())));
    }
    return Output.table(List.of("KEY", "CREATE", "MOD", "VERSION", "VALUE"), rows);
  }

  private static JsonObject entryJson(String op, Entry kv) {
    Map<String, Object> f = Output.fields();
    if (op != null) {
      f.put("op", op);
    }
    f.put("key", Output.jsonBytes(kv.key()));
    f.put("value", Output.jsonBytes(kv.value()));
    f.put("create_revision", kv.createRevision());
    f.put("mod_revision", kv.modRevision());
    f.put("version", kv.version());
    return Output.object(f);
  }

  private static String json(Map<String, Object> fields) {
    return json(Output.object(fields));
  }

  private static String json(JsonObject o) {
    return o + "\n";
  }

  /** An insertion-ordered map from alternating keys and values, so JSON fields keep their order. */
  private static Map<String, Object> ordered(Object... keyValues) {
    Map<String, Object> m = Output.fields();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return m;
  }
}
