package io.ternkv.server.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ternkv.proto.raft.v1.StoredLease;
import io.ternkv.proto.raft.v1.StoredValue;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.RootReference;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;

/**
 * The state machine's data on one H2 MVStore file: the only class that touches MVStore.
 *
 * <p>Maps: {@code kv} (key to {@link StoredValue}) and {@code meta} (applied term and index,
 * current revision). The applied index is written into the same MVStore commit as the data it
 * covers, so after a crash the store reflects exactly the entries up to its persisted index and
 * Raft replays the rest. Commits are batched: the Raft log, not this file, is the durable record.
 *
 * <p>Threading: one writer at a time through {@link #write}, which also excludes commits; reads
 * are lock-free and see a consistent map version per call.
 */
public final class KvStore implements AutoCloseable {
  private static final String META_TERM = "applied.term";
  private static final String META_INDEX = "applied.index";
  private static final String META_REVISION = "revision";
  private static final String META_GENERATION = "data.generation";
  private static final String DATA_MAP_PREFIX = "kv.";
  private static final String LEASE_MAP_PREFIX = "lease.";
  private static final String LEASE_KEY_MAP_PREFIX = "leasekey.";
  private static final long SNAPSHOT_MAGIC = 0x54_45_52_4E_53_4E_41_50L; // "TERNSNAP"
  /** Format 2 adds the leases after the keys; format 1 snapshots (no leases) still restore. */
  private static final int SNAPSHOT_FORMAT = 2;

  private final Path file;
  private final MVStore store;
  private final MVMap<String, Long> meta;
  /** The live data map; replaced as a whole when a snapshot is restored. */
  private volatile MVMap<byte[], byte[]> kv;
  /** Lease id to {@link StoredLease}; replaced with {@link #kv}. */
  private volatile MVMap<Long, byte[]> leases;
  /** Which keys each lease holds: 8-byte lease id followed by the key; derived from {@link #kv}. */
  private volatile MVMap<byte[], byte[]> leaseKeys;
  private final Writer writer = new Writer();
  private final Object lock = new Object();

  private volatile AppliedState applied;
  /** What readers see; replaced after each mutation (see {@link #view()}). */
  private volatile ReadView published;
  private long uncommittedWrites;
  /** Set when a mutation failed half-way; the store then refuses mutations and commits. */
  private RuntimeException broken;
  private long lastCommitNanos = System.nanoTime();

  private KvStore(Path file, MVStore store) {
    this.file = file;
    this.store = store;
    this.meta =
        store.openMap(
            "meta",
            new MVMap.Builder<String, Long>()
                .keyType(StringDataType.INSTANCE)
                .valueType(LongDataType.INSTANCE));
    long generation = meta.getOrDefault(META_GENERATION, 0L);
    this.kv = dataMap(generation);
    this.leases = leaseMap(generation);
    this.leaseKeys = leaseKeyMap(generation);
    // Maps of older generations are left by restores that readers might still have been using.
    for (String name : store.getMapNames()) {
      for (String prefix : List.of(DATA_MAP_PREFIX, LEASE_MAP_PREFIX, LEASE_KEY_MAP_PREFIX)) {
        if (name.startsWith(prefix) && !name.equals(prefix + generation)) {
          store.removeMap(name);
        }
      }
    }
    this.applied =
        new AppliedState(
            meta.getOrDefault(META_TERM, 0L),
            meta.getOrDefault(META_INDEX, -1L),
            meta.getOrDefault(META_REVISION, 0L));
    publish();
  }

  /**
   * Opens (or creates) the store file.
   *
   * @throws IOException when the file cannot be opened or is corrupt
   */
  public static KvStore open(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try {
      MVStore store =
          new MVStore.Builder().fileName(file.toString()).autoCommitDisabled().open();
      return new KvStore(file, store);
    } catch (RuntimeException e) {
      throw new IOException("cannot open store " + file + ": " + e.getMessage(), e);
    }
  }

  /** Path of the store file. */
  public Path file() {
    return file;
  }

  /** The entry and revision the store reflects now (possibly not yet committed to disk). */
  public AppliedState applied() {
    return applied;
  }

  /**
   * The state readers see now: the data as of the last completed mutation, never part of one.
   * Each call may return a newer view; one view stays consistent for as long as it is used
   * briefly (a request, not minutes: old versions are released by the store).
   */
  public ReadView view() {
    return published;
  }

  /** Reads one key from the current {@link #view()}. */
  public Optional<StoredValue> get(byte[] key) {
    return view().get(key);
  }

  /** Reads a range from the current {@link #view()}; see {@link ReadView#range}. */
  public RangePage range(byte[] start, byte[] end, int limit, long maxBytes) {
    return published.range(start, end, limit, maxBytes);
  }

  private static RangePage range(
      Cursor<byte[], byte[]> cursor, byte[] end, int limit, long maxBytes) {
    List<Entry> out = new ArrayList<>(Math.min(limit, 256));
    long bytes = 0;
    while (cursor.hasNext()) {
      byte[] key = cursor.next();
      if (end != null && Arrays.compareUnsigned(key, end) >= 0) {
        return new RangePage(out, false);
      }
      if (out.size() >= limit || (!out.isEmpty() && bytes >= maxBytes)) {
        return new RangePage(out, true);
      }
      byte[] raw = cursor.getValue();
      bytes += key.length + raw.length;
      out.add(new Entry(key, decode(raw)));
    }
    return new RangePage(out, false);
  }

  /** Makes the state after the latest mutation the one readers see. Under {@link #lock}. */
  private void publish() {
    published = new ReadView(kv, kv.flushAndGetRoot(), applied);
  }

  /**
   * Runs one atomic mutation. The store is committed only between mutations, so a commit never
   * holds half of one.
   */
  public <T> T write(Function<Writer, T> mutation) {
    synchronized (lock) {
      if (broken != null) {
        throw new IllegalStateException("store is unusable after a failed mutation", broken);
      }
      T result;
      try {
        result = mutation.apply(writer);
      } catch (RuntimeException e) {
        // Part of the mutation may be in the maps: never show it to readers, never commit it.
        broken = e;
        throw e;
      }
      publish();
      return result;
    }
  }

  /**
   * Commits when at least {@code maxWrites} mutations or {@code maxDelayNanos} have passed since
   * the last commit.
   */
  public void commitIfDue(long maxWrites, long maxDelayNanos) {
    synchronized (lock) {
      if (uncommittedWrites == 0) {
        return;
      }
      if (uncommittedWrites >= maxWrites || System.nanoTime() - lastCommitNanos >= maxDelayNanos) {
        commitLocked();
      }
    }
  }

  /** Commits every mutation made so far. */
  public void commit() {
    synchronized (lock) {
      commitLocked();
    }
  }

  private void commitLocked() {
    if (broken != null) {
      return;
    }
    store.commit();
    uncommittedWrites = 0;
    lastCommitNanos = System.nanoTime();
  }

  /** Number of keys. */
  public long size() {
    return kv.sizeAsLong();
  }

  /**
   * Writes a snapshot of the whole store to {@code out} and returns the state it reflects. The
   * caller must ensure no mutation runs meanwhile (Ratis takes snapshots on the apply thread).
   */
  public AppliedState writeSnapshot(OutputStream out) throws IOException {
    AppliedState at;
    Cursor<byte[], byte[]> cursor;
    Cursor<Long, byte[]> leaseCursor;
    synchronized (lock) {
      commitLocked();
      at = applied;
      cursor = kv.cursor(null);
      leaseCursor = leases.cursor(null);
    }
    CRC32 crc = new CRC32();
    DataOutputStream data =
        new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(out, 1 << 16), crc));
    data.writeLong(SNAPSHOT_MAGIC);
    data.writeInt(SNAPSHOT_FORMAT);
    data.writeLong(at.term());
    data.writeLong(at.index());
    data.writeLong(at.revision());
    long count = 0;
    while (cursor.hasNext()) {
      byte[] key = cursor.next();
      byte[] value = cursor.getValue();
      data.writeInt(key.length);
      data.write(key);
      data.writeInt(value.length);
      data.write(value);
      count++;
    }
    data.writeInt(-1);
    data.writeLong(count);
    long leaseCount = 0;
    while (leaseCursor.hasNext()) {
      long id = leaseCursor.next();
      byte[] lease = leaseCursor.getValue();
      data.writeLong(id);
      data.writeInt(lease.length);
      data.write(lease);
      leaseCount++;
    }
    data.writeLong(-1);
    data.writeLong(leaseCount);
    data.flush();
    new DataOutputStream(out).writeLong(crc.getValue());
    out.flush();
    return at;
  }

  /**
   * Replaces the whole content of the store with a snapshot written by {@link #writeSnapshot} and
   * commits it.
   *
   * @throws IOException when the snapshot is truncated, corrupt or of an unknown format; the store
   *     is then left unchanged
   */
  public AppliedState restoreSnapshot(InputStream in) throws IOException {
    CRC32 crc = new CRC32();
    BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
    DataInputStream data = new DataInputStream(new CheckedInputStream(buffered, crc));
    if (data.readLong() != SNAPSHOT_MAGIC) {
      throw new IOException("not a TernKV snapshot");
    }
    int format = data.readInt();
    if (format != 1 && format != SNAPSHOT_FORMAT) {
      throw new IOException("unknown snapshot format " + format);
    }
    AppliedState at = new AppliedState(data.readLong(), data.readLong(), data.readLong());
    // Fill the next generation's map, then switch readers to it in one step: a corrupt file
    // leaves the live data untouched, and no reader ever sees a half-restored store.
    long generation = meta.getOrDefault(META_GENERATION, 0L) + 1;
    MVMap<byte[], byte[]> next = dataMap(generation);
    MVMap<Long, byte[]> nextLeases = leaseMap(generation);
    MVMap<byte[], byte[]> nextLeaseKeys = leaseKeyMap(generation);
    boolean switched = false;
    try {
      next.clear();
      nextLeases.clear();
      nextLeaseKeys.clear();
      long count = 0;
      for (int keyLen; (keyLen = data.readInt()) >= 0; count++) {
        byte[] key = data.readNBytes(keyLen);
        int valueLen = data.readInt();
        byte[] value = data.readNBytes(valueLen);
        if (key.length != keyLen || value.length != valueLen) {
          throw new IOException("snapshot truncated");
        }
        next.put(key, value);
        long lease;
        try {
          lease = StoredValue.parseFrom(value).getLease();
        } catch (InvalidProtocolBufferException e) {
          throw new IOException("snapshot holds a corrupt value record", e);
        }
        if (lease != 0) {
          nextLeaseKeys.put(leaseKey(lease, key), EMPTY);
        }
      }
      if (data.readLong() != count) {
        throw new IOException("snapshot entry count mismatch");
      }
      if (format >= 2) {
        long leaseCount = 0;
        for (long id; (id = data.readLong()) >= 0; leaseCount++) {
          int len = data.readInt();
          byte[] lease = data.readNBytes(len);
          if (lease.length != len) {
            throw new IOException("snapshot truncated");
          }
          nextLeases.put(id, lease);
        }
        if (data.readLong() != leaseCount) {
          throw new IOException("snapshot lease count mismatch");
        }
      }
      long expected = crc.getValue();
      if (new DataInputStream(buffered).readLong() != expected) {
        throw new IOException("snapshot checksum mismatch");
      }
      synchronized (lock) {
        kv = next;
        leases = nextLeases;
        leaseKeys = nextLeaseKeys;
        meta.put(META_GENERATION, generation);
        writer.setApplied(at);
        commitLocked();
        publish();
        switched = true;
      }
      return at;
    } finally {
      if (!switched) {
        store.removeMap(next);
        store.removeMap(nextLeases);
        store.removeMap(nextLeaseKeys);
      }
    }
  }

  private MVMap<Long, byte[]> leaseMap(long generation) {
    return store.openMap(
        LEASE_MAP_PREFIX + generation,
        new MVMap.Builder<Long, byte[]>()
            .keyType(LongDataType.INSTANCE)
            .valueType(BytesType.INSTANCE));
  }

  private MVMap<byte[], byte[]> leaseKeyMap(long generation) {
    return store.openMap(
        LEASE_KEY_MAP_PREFIX + generation,
        new MVMap.Builder<byte[], byte[]>()
            .keyType(BytesType.INSTANCE)
            .valueType(BytesType.INSTANCE));
  }

  private static final byte[] EMPTY = new byte[0];

  /** The lease-key index entry: the lease id, big-endian (ids are positive), then the key. */
  private static byte[] leaseKey(long lease, byte[] key) {
    return ByteBuffer.allocate(8 + key.length).putLong(lease).put(key).array();
  }

  /** Every lease id, in order. */
  public List<Long> leaseIds() {
    return List.copyOf(leases.keyList());
  }

  /** A lease, if it exists. */
  public Optional<StoredLease> lease(long id) {
    return Optional.ofNullable(leases.get(id)).map(KvStore::decodeLease);
  }

  /** The keys attached to a lease, in order. */
  public List<byte[]> leaseKeys(long id) {
    return keysOf(leaseKeys, id);
  }

  private static List<byte[]> keysOf(MVMap<byte[], byte[]> index, long lease) {
    List<byte[]> out = new ArrayList<>();
    byte[] from = leaseKey(lease, EMPTY);
    Cursor<byte[], byte[]> c = index.cursor(from);
    while (c.hasNext()) {
      byte[] k = c.next();
      if (ByteBuffer.wrap(k, 0, 8).getLong() != lease) {
        break;
      }
      out.add(Arrays.copyOfRange(k, 8, k.length));
    }
    return out;
  }

  private static StoredLease decodeLease(byte[] raw) {
    try {
      return StoredLease.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt stored lease", e);
    }
  }

  private MVMap<byte[], byte[]> dataMap(long generation) {
    return store.openMap(
        DATA_MAP_PREFIX + generation,
        new MVMap.Builder<byte[], byte[]>()
            .keyType(BytesType.INSTANCE)
            .valueType(BytesType.INSTANCE));
  }

  /**
   * Closes the file without committing, dropping every mutation since the last commit: what a
   * crash leaves behind. For fault tests.
   */
  public void closeWithoutCommit() {
    synchronized (lock) {
      if (!store.isClosed()) {
        store.closeImmediately();
      }
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      if (!store.isClosed()) {
        if (broken != null) {
          store.closeImmediately(); // keep the last good commit; the log replays the rest
        } else {
          store.close();
        }
      }
    }
  }

  private static StoredValue decode(byte[] raw) {
    try {
      return StoredValue.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt stored value", e);
    }
  }

  /** Mutations available inside {@link #write}; valid only during that call. */
  public final class Writer {
    private Writer() {}

    /** Reads one key, seeing the mutations made so far. */
    public Optional<StoredValue> get(byte[] key) {
      byte[] raw = kv.get(key);
      return raw == null ? Optional.empty() : Optional.of(decode(raw));
    }

    /** Reads a range like {@link ReadView#range}, seeing the mutations made so far. */
    public RangePage range(byte[] start, byte[] end, int limit, long maxBytes) {
      return KvStore.range(kv.cursor(start), end, limit, maxBytes);
    }

    /**
     * Removes every key in {@code [start, end)} ({@code end} null: to the last key).
     *
     * @return how many keys were removed
     */
    public long removeRange(byte[] start, byte[] end) {
      List<byte[]> doomed = new ArrayList<>();
      Cursor<byte[], byte[]> cursor = kv.cursor(start);
      while (cursor.hasNext()) {
        byte[] key = cursor.next();
        if (end != null && Arrays.compareUnsigned(key, end) >= 0) {
          break;
        }
        doomed.add(key);
      }
      doomed.forEach(this::remove);
      return doomed.size();
    }

    /** Stores a key's value record, moving it to the record's lease (if any). */
    public void put(byte[] key, StoredValue value) {
      byte[] old = kv.put(key, value.toByteArray());
      long before = old == null ? 0 : decode(old).getLease();
      if (before != value.getLease()) {
        if (before != 0) {
          leaseKeys.remove(leaseKey(before, key));
        }
        if (value.getLease() != 0) {
          leaseKeys.put(leaseKey(value.getLease(), key), EMPTY);
        }
      }
    }

    /** Removes a key (and its lease attachment); returns whether it existed. */
    public boolean remove(byte[] key) {
      byte[] old = kv.remove(key);
      if (old == null) {
        return false;
      }
      long lease = decode(old).getLease();
      if (lease != 0) {
        leaseKeys.remove(leaseKey(lease, key));
      }
      return true;
    }

    /** A lease, seeing the mutations made so far. */
    public Optional<StoredLease> lease(long id) {
      return KvStore.this.lease(id);
    }

    /** Creates or replaces a lease. */
    public void putLease(long id, StoredLease lease) {
      leases.put(id, lease.toByteArray());
    }

    /** Removes a lease record (its keys are removed by the caller, one by one). */
    public void removeLease(long id) {
      leases.remove(id);
    }

    /** The keys attached to a lease, seeing the mutations made so far. */
    public List<byte[]> leaseKeys(long id) {
      return keysOf(leaseKeys, id);
    }

    /** Records the entry and revision the data now reflects, in the same commit as the data. */
    public void setApplied(AppliedState state) {
      meta.put(META_TERM, state.term());
      meta.put(META_INDEX, state.index());
      meta.put(META_REVISION, state.revision());
      applied = state;
      uncommittedWrites++;
    }
  }

  /**
   * A consistent, read-only view of the store as of one completed mutation.
   *
   * <p>Threading: immutable and safe to share; reads are lock-free.
   */
  public static final class ReadView {
    private final MVMap<byte[], byte[]> map;
    private final RootReference<byte[], byte[]> root;
    private final AppliedState applied;

    private ReadView(
        MVMap<byte[], byte[]> map, RootReference<byte[], byte[]> root, AppliedState applied) {
      this.map = map;
      this.root = root;
      this.applied = applied;
    }

    /** The log position and revision this view reflects exactly. */
    public AppliedState applied() {
      return applied;
    }

    /** Reads one key. */
    public Optional<StoredValue> get(byte[] key) {
      byte[] raw = map.get(root.root, key);
      return raw == null ? Optional.empty() : Optional.of(decode(raw));
    }

    /**
     * Reads keys in {@code [start, end)} in order.
     *
     * @param start first key, inclusive, or null for the first key
     * @param end exclusive upper bound, or null for no bound
     * @param limit at most this many keys
     * @param maxBytes stop once keys and values returned add up to this many bytes (at least one
     *     key is always returned when the range is not empty)
     */
    public RangePage range(byte[] start, byte[] end, int limit, long maxBytes) {
      return KvStore.range(map.cursor(root, start, null, false), end, limit, maxBytes);
    }
  }

  /** One key with its value record. */
  public record Entry(byte[] key, StoredValue value) {}

  /** A page of a range read: the entries and whether more remain in the range. */
  public record RangePage(List<Entry> entries, boolean more) {}
}
