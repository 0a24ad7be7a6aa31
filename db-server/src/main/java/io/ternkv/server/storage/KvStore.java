package io.ternkv.server.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ByteString;
import io.ternkv.proto.raft.v1.ChangedKeys;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import io.ternkv.server.RevisionOutOfRangeException;
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
 * <p>Maps: {@code kv} (key to its current {@link StoredValue}), {@code hist} (every version of
 * every key still kept, by key then revision; a deletion is a tombstone version), {@code events}
 * (revision to the keys it changed, for watches and compaction), {@code lease} and {@code
 * leasekey} (leases and the keys each holds), {@code auth} (users, roles and the authentication
 * switch by name, opaque records decoded by {@code io.ternkv.server.auth}) and {@code meta}
 * (applied term and index, current
 * and compacted revision). The applied index is written into the same MVStore commit as the data it
 * covers, so after a crash the store reflects exactly the entries up to its persisted index and
 * Raft replays the rest. Commits are batched: the Raft log, not this file, is the durable record.
 * Each commit is followed by a sync of the file, outside the store lock, before the next commit.
 *
 * <p>Threading: one writer at a time through {@link #write}, which also excludes commits (not the
 * syncs after them); reads are lock-free and see a consistent map version per call.
 */
public final class KvStore implements AutoCloseable {
  private static final String META_TERM = "applied.term";
  private static final String META_INDEX = "applied.index";
  private static final String META_REVISION = "revision";
  private static final String META_GENERATION = "data.generation";
  private static final String DATA_MAP_PREFIX = "kv.";
  private static final String LEASE_MAP_PREFIX = "lease.";
  private static final String LEASE_KEY_MAP_PREFIX = "leasekey.";
  private static final String HISTORY_MAP_PREFIX = "hist.";
  private static final String EVENTS_MAP_PREFIX = "events.";
  private static final String AUTH_MAP_PREFIX = "auth.";
  private static final String META_COMPACTED = "compacted.revision";
  /** Present once the store keeps history (stores written before that get it built on open). */
  private static final String META_HISTORY = "history.format";
  private static final long SNAPSHOT_MAGIC = 0x54_45_52_4E_53_4E_41_50L; // "TERNSNAP"
  /**
   * Format 4 adds the authentication state after the history, format 3 history and the compacted
   * revision after the leases, format 2 the leases after the keys; snapshots of formats 1 and 3
   * still restore (format 1 with history from its revision on).
   */
  private static final int SNAPSHOT_FORMAT = 4;

  /**
   * Bytes at which MVStore splits a page. Every commit rewrites each page a write touched, and
   * random writes touch most pages, so smaller pages write less: 4 KiB halved commit time and
   * bytes written against MVStore's 16 KiB (measurement override: ternkv.store.page-split).
   */
  static final int PAGE_SPLIT_SIZE = Integer.getInteger("ternkv.store.page-split", 4 * 1024);

  /**
   * How long MVStore keeps a dead chunk's space before reusing it. Its default, 45 s, assumes
   * nobody syncs; we sync after every commit, so a few seconds only protect unpinned readers
   * still walking an old version. At the default the file grew by every commit of the last 45 s
   * (measurement override: ternkv.store.retention-ms).
   */
  static final int RETENTION_MILLIS = Integer.getInteger("ternkv.store.retention-ms", 5_000);

  /**
   * MiB of MVStore's page cache: a quarter of the maximum heap, at least 16 (MVStore's default).
   * A put reads and rewrites pages of three maps; once they no longer fit the cache every access
   * reads and decodes a page again. With a million keys, 256 MiB instead of 16 took the store
   * alone from 1,021 to 2,270 puts/s (StoreChurn; measurement override: ternkv.store.cache-mib).
   */
  static final int CACHE_MIB =
      Integer.getInteger(
          "ternkv.store.cache-mib",
          (int) Math.max(16, Runtime.getRuntime().maxMemory() / 4 / (1024 * 1024)));

  private final Path file;
  private final MVStore store;
  /** Taken before {@link #lock} by every commit, and held until its sync is done. */
  private final java.util.concurrent.locks.ReentrantLock commitOrder =
      new java.util.concurrent.locks.ReentrantLock();
  private final MVMap<String, Long> meta;
  /** The live data map; replaced as a whole when a snapshot is restored. */
  private volatile MVMap<byte[], byte[]> kv;
  /** Lease id to {@link StoredLease}; replaced with {@link #kv}. */
  private volatile MVMap<Long, byte[]> leases;
  /** Which keys each lease holds: 8-byte lease id followed by the key; derived from {@link #kv}. */
  private volatile MVMap<byte[], byte[]> leaseKeys;
  /** Versions by {@link #historyKey}; replaced with {@link #kv}. */
  private volatile MVMap<byte[], byte[]> history;
  /** Revision to {@link ChangedKeys}; replaced with {@link #kv}. */
  private volatile MVMap<Long, byte[]> events;
  /** Users, roles and the authentication switch, by name (see {@link Writer#putAuth}). */
  private volatile MVMap<byte[], byte[]> auth;
  /** Counts changes of {@link #auth}, so holders of a decoded copy know when to decode again. */
  private volatile long authChanges;
  /** Whether the current mutation changed {@link #auth}. */
  private boolean authChanged;
  /** Reads below this revision are refused; history below it is being removed. */
  private volatile long compacted;
  /** The keys the current mutation changed, and at which revision. */
  private final List<byte[]> changed = new ArrayList<>();
  private long changedRevision;
  private final Writer writer = new Writer();
  private final Object lock = new Object();

  private volatile AppliedState applied;
  /** What readers see; replaced after each mutation (see {@link #view()}). */
  private volatile ReadView published;
  private long uncommittedWrites;
  /** Whether {@link #applied} changed since it was last written to {@link #meta}. */
  private boolean appliedUnsaved;
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
    this.history = historyMap(generation);
    this.events = eventsMap(generation);
    this.auth = authMap(generation);
    // Maps of older generations are left by restores that readers might still have been using.
    for (String name : store.getMapNames()) {
      for (String prefix :
          List.of(
              DATA_MAP_PREFIX,
              LEASE_MAP_PREFIX,
              LEASE_KEY_MAP_PREFIX,
              HISTORY_MAP_PREFIX,
              EVENTS_MAP_PREFIX,
              AUTH_MAP_PREFIX)) {
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
    if (!meta.containsKey(META_HISTORY)) {
      // A store from before history was kept: its current versions become the history, and
      // nothing older than its revision can be read.
      buildHistoryFromCurrent(kv, history, events);
      meta.put(META_COMPACTED, applied.revision());
      meta.put(META_HISTORY, 1L);
      store.commit();
    }
    this.compacted = meta.getOrDefault(META_COMPACTED, 0L);
    publish();
  }

  /** Records every current version as history at its mod revision. */
  private static void buildHistoryFromCurrent(
      MVMap<byte[], byte[]> current, MVMap<byte[], byte[]> history, MVMap<Long, byte[]> events) {
    Cursor<byte[], byte[]> cursor = current.cursor(null);
    while (cursor.hasNext()) {
      byte[] key = cursor.next();
      byte[] raw = cursor.getValue();
      long revision = decode(raw).getModRevision();
      history.put(historyKey(key, revision), raw);
      byte[] list = events.get(revision);
      ChangedKeys.Builder keys = list == null ? ChangedKeys.newBuilder() : decodeKeys(list).toBuilder();
      events.put(revision, keys.addKeys(ByteString.copyFrom(key)).build().toByteArray());
    }
  }

  /**
   * Opens (or creates) the store file.
   *
   * @throws IOException when the file cannot be opened or is corrupt
   */
  public static KvStore open(Path file) throws IOException {
    return open(file, RETENTION_MILLIS);
  }

  /** {@link #open(Path)} with dead chunks' space reused after {@code retentionMillis}. */
  static KvStore open(Path file, int retentionMillis) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try {
      MVStore store =
          new MVStore.Builder()
              .fileName(file.toString())
              // No commit by size: MVStore would otherwise commit on its own from inside a map
              // write once unsaved pages pass about 19 MiB, persisting half of a mutation.
              .autoCommitBufferSize(0)
              .pageSplitSize(PAGE_SPLIT_SIZE)
              .cacheSize(CACHE_MIB)
              .open();
      // MVStore serializes a commit on its own thread only when it runs a background writer,
      // which it starts for a positive auto-commit delay. With the longest delay that writer never
      // commits (it would, at an arbitrary point, only after 24 days without any commit) and never
      // compacts (with no commit buffer its chunk rewrites have a size limit of 0); every commit
      // is still ours (see #commitLocked).
      store.setAutoCommitDelay(Integer.MAX_VALUE);
      store.setRetentionTime(retentionMillis);
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
    published =
        new ReadView(
            kv,
            kv.flushAndGetRoot(),
            leases,
            leases.flushAndGetRoot(),
            history,
            history.flushAndGetRoot(),
            events,
            events.flushAndGetRoot(),
            auth,
            auth.flushAndGetRoot(),
            applied,
            compacted);
  }

  /** Writes {@link #applied} to {@link #meta} if it changed. Under {@link #lock}. */
  private void saveApplied() {
    if (appliedUnsaved) {
      AppliedState state = applied;
      meta.put(META_TERM, state.term());
      meta.put(META_INDEX, state.index());
      meta.put(META_REVISION, state.revision());
      appliedUnsaved = false;
    }
  }

  /** Writes the current mutation's change list (if it changed keys). Under {@link #lock}. */
  private void flushChanges() {
    if (changed.isEmpty()) {
      return;
    }
    ChangedKeys.Builder keys = ChangedKeys.newBuilder();
    for (byte[] key : changed) {
      keys.addKeys(ByteString.copyFrom(key));
    }
    events.put(changedRevision, keys.build().toByteArray());
    changed.clear();
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
        flushChanges();
        saveApplied();
      } catch (RuntimeException e) {
        // Part of the mutation may be in the maps: never show it to readers, never commit it.
        broken = e;
        throw e;
      }
      publish();
      if (authChanged) {
        authChanged = false;
        authChanges++;
      }
      return result;
    }
  }

  /**
   * Commits when at least {@code maxWrites} mutations or {@code maxDelayNanos} have passed since
   * the last commit, then syncs the file. Returns at once, without committing, while another thread
   * commits or syncs: that commit covers these mutations, or the next call does.
   */
  public void commitIfDue(long maxWrites, long maxDelayNanos) {
    if (!commitOrder.tryLock()) {
      return;
    }
    try {
      synchronized (lock) {
        if (uncommittedWrites == 0
            || (uncommittedWrites < maxWrites
                && System.nanoTime() - lastCommitNanos < maxDelayNanos)) {
          return;
        }
        if (!commitLocked()) {
          return;
        }
      }
      syncFile();
    } finally {
      commitOrder.unlock();
    }
  }

  /** Commits every mutation made so far and syncs the file. */
  public void commit() {
    commitOrder.lock();
    try {
      boolean committed;
      synchronized (lock) {
        committed = commitLocked();
      }
      if (committed) {
        syncFile();
      }
    } finally {
      commitOrder.unlock();
    }
  }

  /**
   * Starts a commit of the mutations so far. Under {@link #lock} MVStore only takes the maps'
   * current roots, which is the consistent cut (no mutation is half done while the lock is held);
   * it serializes and writes their pages on its own thread afterwards, while the next mutations
   * make copies of the pages they change. So the apply thread waits microseconds for a commit
   * instead of the tens of milliseconds serializing takes (23 ms at p50 under 2,000 puts/s).
   * Callers hold {@link #commitOrder} and call {@link #syncFile} before releasing it: that waits
   * for the write and forces it to disk, and MVStore reuses the space of chunks that died {@link
   * #RETENTION_MILLIS} ago, which is safe only once the commit that made them dead is on disk.
   *
   * @return false when the store is broken and nothing was written
   */
  private boolean commitLocked() {
    if (broken != null) {
      return false;
    }
    if (store.tryCommit() < 0 && store.hasUnsavedChanges()) {
      // MVStore's own lock was busy (a pinned view being released takes it briefly): wait for it
      // and write this commit before returning. Callers may report the applied index as durable
      // (Ratis then purges the log below it), so a commit is never skipped.
      store.commit();
    }
    uncommittedWrites = 0;
    lastCommitNanos = System.nanoTime();
    return true;
  }

  /**
   * Waits for the commits started so far to be written, then forces the file to disk, outside the
   * store lock so mutations go on meanwhile. A failed write or sync leaves the file's durable state
   * unknown: the store then refuses mutations and commits.
   */
  private void syncFile() {
    try {
      // Runs once MVStore's serialization and write threads have finished what was handed them.
      store.getFileStore().executeFileStoreOperation(store::sync);
      if (store.getPanicException() != null) {
        throw store.getPanicException();
      }
    } catch (RuntimeException e) {
      synchronized (lock) {
        if (broken == null) {
          broken = e;
        }
      }
      throw e;
    }
  }

  /** Percentage of the store file holding live data (MVStore's fill rate). */
  public int fileFillRate() {
    return store.getFillRate();
  }

  /** Number of keys. */
  public long size() {
    return kv.sizeAsLong();
  }

  /** Number of versions history holds (current ones included, until compaction removes them). */
  public long historySize() {
    return history.sizeAsLong();
  }

  /**
   * Writes a snapshot of the whole store to {@code out}, after committing, and returns the state
   * it reflects. Mutations may run meanwhile; the snapshot is of the moment of the call.
   */
  public AppliedState writeSnapshot(OutputStream out) throws IOException {
    Pinned pinned;
    commitOrder.lock();
    try {
      synchronized (lock) {
        commitLocked();
        pinned = pin();
      }
      syncFile();
    } finally {
      commitOrder.unlock();
    }
    try (pinned) {
      return writeSnapshot(pinned.view(), out);
    }
  }

  /**
   * Holds the current view readable for as long as it is open, however long that is (a backup):
   * the store keeps every page that view can reach until {@link #close()}. Close it promptly.
   *
   * <p>Threading: the view may be read from any thread; close once.
   */
  public final class Pinned implements AutoCloseable {
    private final ReadView view;
    private final MVStore.TxCounter counter;
    private final java.util.concurrent.atomic.AtomicBoolean closed =
        new java.util.concurrent.atomic.AtomicBoolean();

    private Pinned(ReadView view, MVStore.TxCounter counter) {
      this.view = view;
      this.counter = counter;
    }

    /** The pinned view. */
    public ReadView view() {
      return view;
    }

    /** Releases the pin (idempotent). */
    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        store.deregisterVersionUsage(counter);
      }
    }
  }

  /**
   * Pins the current view for a long read; see {@link Pinned}.
   *
   * @throws IllegalStateException when the store is closed
   */
  public Pinned pin() {
    synchronized (lock) {
      if (store.isClosed()) {
        throw new IllegalStateException("store is closed");
      }
      return new Pinned(published, store.registerVersionUsage());
    }
  }

  /**
   * Writes a snapshot of one view to {@code out} (in the format {@link #restoreSnapshot} reads)
   * and returns the state it reflects. Pin the view first when the write may take long.
   */
  public static AppliedState writeSnapshot(ReadView view, OutputStream out) throws IOException {
    AppliedState at = view.applied();
    CRC32 crc = new CRC32();
    DataOutputStream data =
        new DataOutputStream(new CheckedOutputStream(new BufferedOutputStream(out, 1 << 16), crc));
    data.writeLong(SNAPSHOT_MAGIC);
    data.writeInt(SNAPSHOT_FORMAT);
    data.writeLong(at.term());
    data.writeLong(at.index());
    data.writeLong(at.revision());
    writeBytesMap(data, view.map.cursor(view.root, null, null, false));
    writeLongMap(data, view.leases.cursor(view.leasesRoot, null, null, false));
    data.writeLong(view.compacted);
    writeBytesMap(data, view.history.cursor(view.historyRoot, null, null, false));
    writeLongMap(data, view.events.cursor(view.eventsRoot, null, null, false));
    writeBytesMap(data, view.auth.cursor(view.authRoot, null, null, false));
    data.flush();
    new DataOutputStream(out).writeLong(crc.getValue());
    out.flush();
    return at;
  }

  /** Writes byte-keyed entries, then -1 and their count. */
  private static void writeBytesMap(DataOutputStream data, Cursor<byte[], byte[]> cursor)
      throws IOException {
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
  }

  /** Writes long-keyed entries (keys not negative), then -1 and their count. */
  private static void writeLongMap(DataOutputStream data, Cursor<Long, byte[]> cursor)
      throws IOException {
    long count = 0;
    while (cursor.hasNext()) {
      long key = cursor.next();
      byte[] value = cursor.getValue();
      data.writeLong(key);
      data.writeInt(value.length);
      data.write(value);
      count++;
    }
    data.writeLong(-1);
    data.writeLong(count);
  }

  /** Reads what {@link #writeBytesMap} wrote, handing each entry to {@code sink}. */
  private static void readBytesMap(DataInputStream data, BytesSink sink) throws IOException {
    long count = 0;
    for (int keyLen; (keyLen = data.readInt()) >= 0; count++) {
      byte[] key = data.readNBytes(keyLen);
      int valueLen = data.readInt();
      if (key.length != keyLen || valueLen < 0) {
        throw new IOException("snapshot truncated");
      }
      byte[] value = data.readNBytes(valueLen);
      if (value.length != valueLen) {
        throw new IOException("snapshot truncated");
      }
      sink.accept(key, value);
    }
    if (data.readLong() != count) {
      throw new IOException("snapshot entry count mismatch");
    }
  }

  /** Reads what {@link #writeLongMap} wrote into {@code map}. */
  private static void readLongMap(DataInputStream data, MVMap<Long, byte[]> map) throws IOException {
    long count = 0;
    for (long key; (key = data.readLong()) >= 0; count++) {
      int len = data.readInt();
      if (len < 0) {
        throw new IOException("snapshot truncated");
      }
      byte[] value = data.readNBytes(len);
      if (value.length != len) {
        throw new IOException("snapshot truncated");
      }
      map.put(key, value);
    }
    if (data.readLong() != count) {
      throw new IOException("snapshot entry count mismatch");
    }
  }

  private interface BytesSink {
    void accept(byte[] key, byte[] value) throws IOException;
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
    if (format != 1 && format != 3 && format != SNAPSHOT_FORMAT) {
      throw new IOException("unknown snapshot format " + format);
    }
    AppliedState at = new AppliedState(data.readLong(), data.readLong(), data.readLong());
    // Fill the next generation's map, then switch readers to it in one step: a corrupt file
    // leaves the live data untouched, and no reader ever sees a half-restored store.
    long generation = meta.getOrDefault(META_GENERATION, 0L) + 1;
    MVMap<byte[], byte[]> next = dataMap(generation);
    MVMap<Long, byte[]> nextLeases = leaseMap(generation);
    MVMap<byte[], byte[]> nextLeaseKeys = leaseKeyMap(generation);
    MVMap<byte[], byte[]> nextHistory = historyMap(generation);
    MVMap<Long, byte[]> nextEvents = eventsMap(generation);
    MVMap<byte[], byte[]> nextAuth = authMap(generation);
    List<MVMap<?, ?>> filling =
        List.of(next, nextLeases, nextLeaseKeys, nextHistory, nextEvents, nextAuth);
    boolean switched = false;
    try {
      filling.forEach(MVMap::clear);
      readBytesMap(
          data,
          (key, value) -> {
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
          });
      if (format >= 2) {
        readLongMap(data, nextLeases);
      }
      long nextCompacted;
      if (format >= 3) {
        nextCompacted = data.readLong();
        readBytesMap(data, nextHistory::put);
        readLongMap(data, nextEvents);
      } else {
        buildHistoryFromCurrent(next, nextHistory, nextEvents);
        nextCompacted = at.revision();
      }
      if (format >= 4) {
        readBytesMap(data, nextAuth::put);
      }
      if (nextCompacted < 0 || nextCompacted > at.revision()) {
        throw new IOException("snapshot holds a compacted revision beyond its revision");
      }
      long expected = crc.getValue();
      if (new DataInputStream(buffered).readLong() != expected) {
        throw new IOException("snapshot checksum mismatch");
      }
      commitOrder.lock();
      try {
        synchronized (lock) {
          kv = next;
          leases = nextLeases;
          leaseKeys = nextLeaseKeys;
          history = nextHistory;
          events = nextEvents;
          auth = nextAuth;
          compacted = nextCompacted;
          meta.put(META_COMPACTED, nextCompacted);
          meta.put(META_GENERATION, generation);
          writer.setApplied(at);
          saveApplied();
          commitLocked();
          publish();
          authChanges++;
          switched = true;
        }
        syncFile();
      } finally {
        commitOrder.unlock();
      }
      return at;
    } finally {
      if (!switched) {
        filling.forEach(store::removeMap);
      }
    }
  }

  private MVMap<byte[], byte[]> historyMap(long generation) {
    return store.openMap(
        HISTORY_MAP_PREFIX + generation,
        new MVMap.Builder<byte[], byte[]>()
            .keyType(BytesType.INSTANCE)
            .valueType(BytesType.INSTANCE));
  }

  private MVMap<Long, byte[]> eventsMap(long generation) {
    return store.openMap(
        EVENTS_MAP_PREFIX + generation,
        new MVMap.Builder<Long, byte[]>()
            .keyType(LongDataType.INSTANCE)
            .valueType(BytesType.INSTANCE));
  }

  private MVMap<byte[], byte[]> authMap(long generation) {
    return store.openMap(
        AUTH_MAP_PREFIX + generation,
        new MVMap.Builder<byte[], byte[]>()
            .keyType(BytesType.INSTANCE)
            .valueType(BytesType.INSTANCE));
  }

  /**
   * How many times the authentication entries changed (mutations and restores) since the store
   * was opened: a holder of a decoded copy of {@link ReadView#authEntries} decodes again when
   * this moved. Incremented after the change is visible in {@link #view()}.
   */
  public long authChanges() {
    return authChanges;
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

    /**
     * Ends one command's changes inside a mutation that applies several (a batch of writes, each
     * at its own revision): the next change may be at a later revision. Readers still see the
     * whole mutation at once.
     */
    public void endCommand() {
      flushChanges();
    }

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
     * Removes every key in {@code [start, end)} ({@code end} null: to the last key) as of {@code
     * revision}.
     *
     * @return the removed keys with their last values, in key order
     */
    public List<Entry> removeRange(byte[] start, byte[] end, long revision) {
      List<byte[]> doomed = new ArrayList<>();
      Cursor<byte[], byte[]> cursor = kv.cursor(start);
      while (cursor.hasNext()) {
        byte[] key = cursor.next();
        if (end != null && Arrays.compareUnsigned(key, end) >= 0) {
          break;
        }
        doomed.add(key);
      }
      List<Entry> removed = new ArrayList<>(doomed.size());
      for (byte[] key : doomed) {
        remove(key, revision).ifPresent(v -> removed.add(new Entry(key, v)));
      }
      return removed;
    }

    /**
     * Stores a key's value record as of its mod revision, moving it to the record's lease (if
     * any), and records the version in history.
     *
     * @return the value it replaced, if the key existed
     */
    public Optional<StoredValue> put(byte[] key, StoredValue value) {
      byte[] raw = value.toByteArray();
      byte[] old = kv.put(key, raw);
      StoredValue before = old == null ? null : decode(old);
      long beforeLease = before == null ? 0 : before.getLease();
      if (beforeLease != value.getLease()) {
        if (beforeLease != 0) {
          leaseKeys.remove(leaseKey(beforeLease, key));
        }
        if (value.getLease() != 0) {
          leaseKeys.put(leaseKey(value.getLease(), key), EMPTY);
        }
      }
      recordChange(key, value.getModRevision(), raw);
      return Optional.ofNullable(before);
    }

    /**
     * Removes a key (and its lease attachment) as of {@code revision}, recording a tombstone in
     * history.
     *
     * @return the value it had, if it existed
     */
    public Optional<StoredValue> remove(byte[] key, long revision) {
      byte[] old = kv.remove(key);
      if (old == null) {
        return Optional.empty();
      }
      StoredValue before = decode(old);
      if (before.getLease() != 0) {
        leaseKeys.remove(leaseKey(before.getLease(), key));
      }
      recordChange(key, revision, tombstone(revision));
      return Optional.of(before);
    }

    private void recordChange(byte[] key, long revision, byte[] record) {
      if (revision <= applied.revision()) {
        throw new IllegalStateException(
            "a change at revision " + revision + " after revision " + applied.revision());
      }
      if (!changed.isEmpty() && changedRevision != revision) {
        throw new IllegalStateException("one command changed keys at two revisions");
      }
      changedRevision = revision;
      if (history.put(historyKey(key, revision), record) == null) {
        changed.add(key);
      }
    }

    /**
     * Marks history below {@code revision} as gone: reads and watches below it are refused from
     * now on, and {@link #compactSome} removes the old versions in the background.
     */
    public void compact(long revision) {
      if (revision <= compacted || revision > applied.revision()) {
        throw new IllegalArgumentException(
            "compaction to " + revision + " outside (" + compacted + ", " + applied.revision() + "]");
      }
      meta.put(META_COMPACTED, revision);
      compacted = revision;
    }

    /** The compacted revision, seeing the mutations made so far. */
    public long compacted() {
      return compacted;
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

    /** An authentication entry (user, role or switch, by its name), seeing this mutation's changes. */
    public Optional<byte[]> authEntry(String name) {
      return Optional.ofNullable(auth.get(name.getBytes(StandardCharsets.UTF_8)));
    }

    /** The names of the authentication entries that start with {@code prefix}, in order. */
    public List<String> authNames(String prefix) {
      List<String> out = new ArrayList<>();
      byte[] from = prefix.getBytes(StandardCharsets.UTF_8);
      Cursor<byte[], byte[]> c = auth.cursor(from);
      while (c.hasNext()) {
        byte[] k = c.next();
        if (!startsWith(k, from)) {
          break;
        }
        out.add(new String(k, StandardCharsets.UTF_8));
      }
      return out;
    }

    /** Creates or replaces an authentication entry. */
    public void putAuth(String name, byte[] record) {
      auth.put(name.getBytes(StandardCharsets.UTF_8), record);
      authChanged = true;
    }

    /** Removes an authentication entry, if present. */
    public void removeAuth(String name) {
      auth.remove(name.getBytes(StandardCharsets.UTF_8));
      authChanged = true;
    }

    /**
     * Records the entry and revision the data now reflects, in the same commit as the data. Written
     * to {@code meta} once, when the mutation ends: a batch entry sets it for every write in it.
     */
    public void setApplied(AppliedState state) {
      applied = state;
      appliedUnsaved = true;
      uncommittedWrites++;
    }
  }

  /**
   * Removes history the compacted revision made unreadable, at most {@code maxRevisions}
   * revisions' worth per call and about {@link #COMPACT_HOLD_NANOS} of work, so readers and the
   * apply thread wait for it only briefly (256 revisions of busy keys held the apply thread for
   * tens of milliseconds). Called from a background task; the result is the same whenever it runs,
   * since nothing below the compacted revision is ever read.
   *
   * @return whether more remains to be removed
   */
  public boolean compactSome(int maxRevisions) {
    synchronized (lock) {
      if (broken != null || store.isClosed()) {
        return false;
      }
      long upTo = compacted;
      long started = System.nanoTime();
      Cursor<Long, byte[]> cursor = events.cursor(null);
      List<Long> done = new ArrayList<>();
      while (cursor.hasNext()
          && done.size() < maxRevisions
          && (done.isEmpty() || System.nanoTime() - started < COMPACT_HOLD_NANOS)) {
        long revision = cursor.next();
        if (revision >= upTo) {
          break;
        }
        for (ByteString k : decodeKeys(cursor.getValue()).getKeysList()) {
          dropOldVersions(k.toByteArray(), revision, upTo);
        }
        done.add(revision);
      }
      if (done.isEmpty()) {
        return false;
      }
      done.forEach(events::remove);
      uncommittedWrites++;
      publish();
      Long first = events.firstKey();
      return first != null && first < upTo;
    }
  }

  /**
   * For the version of {@code key} changed at {@code revision} (below {@code upTo}): removes every
   * older version, and this one too unless it is what a read at {@code upTo} sees.
   */
  private void dropOldVersions(byte[] key, long revision, long upTo) {
    byte[] prefix = historyPrefix(key);
    Cursor<byte[], byte[]> older =
        history.cursor(history.getRoot(), historyKey(key, revision - 1), null, true);
    List<byte[]> doomed = new ArrayList<>();
    while (older.hasNext()) {
      byte[] k = older.next();
      if (!startsWith(k, prefix)) {
        break;
      }
      doomed.add(k);
    }
    byte[] self = historyKey(key, revision);
    byte[] newer = history.higherKey(self);
    boolean superseded =
        newer != null && startsWith(newer, prefix) && revisionOf(newer) <= upTo;
    byte[] record = history.get(self);
    if (record != null && (superseded || decode(record).getVersion() == 0)) {
      doomed.add(self);
    }
    doomed.forEach(history::remove);
  }

  /** About how long one {@link #compactSome} call holds the store. */
  static final long COMPACT_HOLD_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(1);

  /** The oldest revision reads may ask for. */
  public long compacted() {
    return compacted;
  }

  /**
   * The history key of a version: the key with each 0x00 written as 0x00 0xFF, then 0x00 0x01,
   * then the revision big-endian. Ordered like (key, revision), and no key's prefix is a prefix
   * of another key's.
   */
  static byte[] historyKey(byte[] key, long revision) {
    byte[] prefix = historyPrefix(key);
    return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(revision).array();
  }

  /** The part of {@link #historyKey} before the revision. */
  static byte[] historyPrefix(byte[] key) {
    int zeros = 0;
    for (byte b : key) {
      if (b == 0) {
        zeros++;
      }
    }
    byte[] out = new byte[key.length + zeros + 2];
    int i = 0;
    for (byte b : key) {
      out[i++] = b;
      if (b == 0) {
        out[i++] = (byte) 0xFF;
      }
    }
    out[i++] = 0;
    out[i] = 1;
    return out;
  }

  /** The user key of a {@link #historyKey}. */
  static byte[] keyOf(byte[] historyKey) {
    byte[] out = new byte[historyKey.length - 10];
    int n = 0;
    for (int i = 0; i < historyKey.length - 10; i++) {
      out[n++] = historyKey[i];
      if (historyKey[i] == 0) {
        i++; // skip the escape byte
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** The revision of a {@link #historyKey}. */
  static long revisionOf(byte[] historyKey) {
    return ByteBuffer.wrap(historyKey, historyKey.length - 8, 8).getLong();
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes.length >= prefix.length
        && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** The history record of a deletion: no value, version 0, the revision it happened at. */
  private static byte[] tombstone(long revision) {
    return StoredValue.newBuilder().setModRevision(revision).build().toByteArray();
  }

  private static ChangedKeys decodeKeys(byte[] raw) {
    try {
      return ChangedKeys.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt change list", e);
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
    private final MVMap<Long, byte[]> leases;
    private final RootReference<Long, byte[]> leasesRoot;
    private final MVMap<byte[], byte[]> history;
    private final RootReference<byte[], byte[]> historyRoot;
    private final MVMap<Long, byte[]> events;
    private final RootReference<Long, byte[]> eventsRoot;
    private final MVMap<byte[], byte[]> auth;
    private final RootReference<byte[], byte[]> authRoot;
    private final AppliedState applied;
    private final long compacted;

    private ReadView(
        MVMap<byte[], byte[]> map,
        RootReference<byte[], byte[]> root,
        MVMap<Long, byte[]> leases,
        RootReference<Long, byte[]> leasesRoot,
        MVMap<byte[], byte[]> history,
        RootReference<byte[], byte[]> historyRoot,
        MVMap<Long, byte[]> events,
        RootReference<Long, byte[]> eventsRoot,
        MVMap<byte[], byte[]> auth,
        RootReference<byte[], byte[]> authRoot,
        AppliedState applied,
        long compacted) {
      this.map = map;
      this.root = root;
      this.leases = leases;
      this.leasesRoot = leasesRoot;
      this.history = history;
      this.historyRoot = historyRoot;
      this.events = events;
      this.eventsRoot = eventsRoot;
      this.auth = auth;
      this.authRoot = authRoot;
      this.applied = applied;
      this.compacted = compacted;
    }

    /** Every authentication entry (users, roles, the switch) by name, in name order. */
    public java.util.SortedMap<String, byte[]> authEntries() {
      java.util.SortedMap<String, byte[]> out = new java.util.TreeMap<>();
      Cursor<byte[], byte[]> c = auth.cursor(authRoot, null, null, false);
      while (c.hasNext()) {
        byte[] k = c.next();
        out.put(new String(k, StandardCharsets.UTF_8), c.getValue());
      }
      return java.util.Collections.unmodifiableSortedMap(out);
    }

    /** The log position and revision this view reflects exactly. */
    public AppliedState applied() {
      return applied;
    }

    /** The oldest revision this view can read. */
    public long compacted() {
      return compacted;
    }

    /** Number of keys in this view. */
    public long keyCount() {
      return root.getTotalCount();
    }

    /** Reads one key. */
    public Optional<StoredValue> get(byte[] key) {
      byte[] raw = map.get(root.root, key);
      return raw == null ? Optional.empty() : Optional.of(decode(raw));
    }

    /**
     * Reads one key as it was at {@code revision} (0: now).
     *
     * @throws RevisionOutOfRangeException when the revision is compacted or in the future
     */
    public Optional<StoredValue> get(byte[] key, long revision) {
      if (isCurrent(revision)) {
        return get(key);
      }
      return versionAt(key, revision);
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

    /**
     * Reads a range as it was at {@code revision} (0: now); otherwise like {@link #range(byte[],
     * byte[], int, long)}.
     *
     * @throws RevisionOutOfRangeException when the revision is compacted or in the future
     */
    public RangePage range(byte[] start, byte[] end, int limit, long maxBytes, long revision) {
      if (isCurrent(revision)) {
        return range(start, end, limit, maxBytes);
      }
      List<Entry> out = new ArrayList<>(Math.min(limit, 256));
      long bytes = 0;
      byte[] from = start == null ? null : historyPrefix(start);
      while (true) {
        Cursor<byte[], byte[]> cursor = history.cursor(historyRoot, from, null, false);
        if (!cursor.hasNext()) {
          return new RangePage(out, false);
        }
        byte[] key = keyOf(cursor.next());
        if (end != null && Arrays.compareUnsigned(key, end) >= 0) {
          return new RangePage(out, false);
        }
        Optional<StoredValue> v = versionAt(key, revision);
        if (v.isPresent()) {
          if (out.size() >= limit || (!out.isEmpty() && bytes >= maxBytes)) {
            return new RangePage(out, true);
          }
          bytes += key.length + v.get().getSerializedSize();
          out.add(new Entry(key, v.get()));
        }
        from = historyKey(key, Long.MAX_VALUE); // the next key's first version comes after
      }
    }

    private boolean isCurrent(long revision) {
      if (revision < 0) {
        throw new IllegalArgumentException("negative revision " + revision);
      }
      if (revision == 0 || revision == applied.revision()) {
        return true;
      }
      if (revision > applied.revision()) {
        throw RevisionOutOfRangeException.future(revision, compacted, applied.revision());
      }
      if (revision < compacted) {
        throw RevisionOutOfRangeException.compacted(revision, compacted, applied.revision());
      }
      return false;
    }

    /** The version of a key a read at {@code revision} sees, if it existed then. */
    private Optional<StoredValue> versionAt(byte[] key, long revision) {
      Cursor<byte[], byte[]> c =
          history.cursor(historyRoot, historyKey(key, revision), null, true);
      if (!c.hasNext()) {
        return Optional.empty();
      }
      byte[] k = c.next();
      if (!startsWith(k, historyPrefix(key))) {
        return Optional.empty();
      }
      StoredValue v = decode(c.getValue());
      return v.getVersion() == 0 ? Optional.empty() : Optional.of(v);
    }

    /**
     * The changes from revision {@code from} on, in revision order, as far as this view reaches:
     * whole revisions only, stopping after the revision that brings the total past {@code
     * maxBytes}.
     *
     * @param from first revision wanted; must not be below {@link #compacted()}
     * @param keys which keys to return (the others are skipped, not counted)
     * @param withPrevious whether to include each key's version before the change
     * @throws RevisionOutOfRangeException when {@code from} is compacted
     */
    public ChangePage changes(long from, Predicate<byte[]> keys, boolean withPrevious, long maxBytes) {
      if (from < compacted) {
        throw RevisionOutOfRangeException.compacted(from, compacted, applied.revision());
      }
      List<Change> out = new ArrayList<>();
      long bytes = 0;
      Cursor<Long, byte[]> cursor = events.cursor(eventsRoot, from, null, false);
      while (cursor.hasNext()) {
        long revision = cursor.next();
        if (revision > applied.revision()) {
          break;
        }
        for (ByteString k : decodeKeys(cursor.getValue()).getKeysList()) {
          byte[] key = k.toByteArray();
          if (!keys.test(key)) {
            continue;
          }
          byte[] raw = history.get(historyRoot.root, historyKey(key, revision));
          if (raw == null) {
            throw new IllegalStateException("revision " + revision + " lost a version it changed");
          }
          StoredValue now = decode(raw);
          StoredValue before = null;
          if (withPrevious) {
            before = versionAtOrNull(key, revision - 1);
          }
          bytes += key.length + raw.length + (before == null ? 0 : before.getSerializedSize());
          out.add(new Change(revision, key, now, before));
        }
        if (bytes >= maxBytes) {
          return new ChangePage(out, revision + 1);
        }
      }
      return new ChangePage(out, Math.max(from, applied.revision() + 1));
    }

    private StoredValue versionAtOrNull(byte[] key, long revision) {
      return revision < 1 ? null : versionAt(key, revision).orElse(null);
    }
  }

  /**
   * One change to one key.
   *
   * @param revision when it happened
   * @param key the key
   * @param value the new version, or a deletion: version 0, no value
   * @param previous the version before (when asked for and still in history), else null
   */
  public record Change(long revision, byte[] key, StoredValue value, StoredValue previous) {
    /** Whether the change deleted the key. */
    public boolean isDelete() {
      return value.getVersion() == 0;
    }
  }

  /**
   * Changes in revision order and where to continue.
   *
   * @param changes the changes (possibly none)
   * @param next the first revision not covered: ask from here next time
   */
  public record ChangePage(List<Change> changes, long next) {}

  /** One key with its value record. */
  public record Entry(byte[] key, StoredValue value) {}

  /** A page of a range read: the entries and whether more remain in the range. */
  public record RangePage(List<Entry> entries, boolean more) {}
}
