/**
 * Coordination recipes on top of {@link io.ternkv.client.TernClient}, after etcd's {@code
 * concurrency} package: a {@link io.ternkv.client.concurrency.Session} owns one lease kept alive in
 * the background; a {@link io.ternkv.client.concurrency.Lock} and an {@link
 * io.ternkv.client.concurrency.Election} each put one key per session under a prefix, attached to
 * that lease, and order contenders by the revision that created their key.
 *
 * <p>How waiting works, for both: the contender whose key has the smallest create revision under
 * the prefix holds the lock (or leads). Every other contender watches only the key created just
 * before its own, from the revision at which it saw that key, for its deletion; then it reads the
 * prefix again. A release wakes one contender, not all of them, and a deletion that happens between
 * the read and the watch is replayed from history, so it is never missed. When a session ends
 * (closed: lease revoked; expired: no keep-alive for a TTL) the server deletes its keys, so a
 * holder that dies releases after its TTL.
 *
 * <p>The key's create revision is a fencing token: it grows with every new holder or leader, and
 * {@code ownerCompare()} / {@code leaderCompare()} make a transaction apply only while the holder
 * still holds. A holder cut off from the cluster for longer than its TTL may have lost the lock
 * before it can notice; guard the writes the lock protects with the compare, or carry the token to
 * whatever they go to.
 *
 * <p>Reading the prefix costs one range read of every contender's key per wake-up (the range API
 * has no "first by create revision"), which is fine for tens of contenders per prefix, not for
 * thousands.
 */
package io.ternkv.client.concurrency;
