package io.ternkv.server.check;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks a history of key-value operations for linearizability against a register per key: Wing
 * and Gong's search with Lowe's memoisation (seen (linearized set, state) pairs are not searched
 * again), run separately per key since keys are independent.
 *
 * <p>Operations that FAILED are certainly not applied and are dropped; reads whose outcome is
 * UNKNOWN tell nothing and are dropped, and so are SESSION and STALE reads, which promise less; writes whose outcome is UNKNOWN may have taken effect at
 * any point after their invocation, so they are given an open end: linearizing them at the end of
 * the history is the same as them never happening.
 */
public final class LinearizabilityChecker {
  private LinearizabilityChecker() {}

  /**
   * The verdict.
   *
   * @param linearizable whether every key's history has a linearization
   * @param key the first key without one, or null
   * @param explanation for a violation: the key's operations in invocation order and the
   *     operation the search could not place
   */
  public record Result(boolean linearizable, String key, String explanation) {}

  /** Checks a whole history. */
  public static Result check(List<Op> history) {
    Map<String, List<Op>> byKey = new LinkedHashMap<>();
    for (Op op : history) {
      if (op.outcome() == Op.Outcome.FAILED) {
        continue;
      }
      if (op.kind() == Op.Kind.GET
          && (op.outcome() == Op.Outcome.UNKNOWN || op.level() != Op.Level.STRONG)) {
        continue;
      }
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
      Result r = checkKey(e.getKey(), e.getValue());
      if (!r.linearizable()) {
        return r;
      }
    }
    return new Result(true, null, null);
  }

  /** A call or return event in the doubly linked list the search edits. */
  private static final class Node {
    final Op op;
    final int slot;
    final boolean call;
    Node match;
    Node prev;
    Node next;

    Node(Op op, int slot, boolean call) {
      this.op = op;
      this.slot = slot;
      this.call = call;
    }
  }

  private record Frame(Node call, String state) {}

  private record Seen(BitSet linearized, String state) {}

  private static Result checkKey(String key, List<Op> ops) {
    List<Node> events = new ArrayList<>();
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      Node call = new Node(op, i, true);
      Node ret = new Node(op, i, false);
      call.match = ret;
      ret.match = call;
      events.add(call);
      events.add(ret);
    }
    // Calls before returns at equal times: such operations count as concurrent (lenient).
    events.sort(
        Comparator.comparingLong((Node n) -> n.call ? n.op.invokeNanos() : n.op.completeNanos())
            .thenComparing(n -> n.call ? 0 : 1));
    Node head = new Node(null, -1, false);
    Node last = head;
    for (Node n : events) {
      last.next = n;
      n.prev = last;
      last = n;
    }

    BitSet linearized = new BitSet(ops.size());
    Set<Seen> cache = new HashSet<>();
    List<Frame> stack = new ArrayList<>();
    String state = null; // absent
    int best = 0;
    Op stuck = null;
    Node entry = head.next;
    while (head.next != null) {
      if (entry.call) {
        Step step = step(state, entry.op);
        if (step.legal()) {
          BitSet next = (BitSet) linearized.clone();
          next.set(entry.slot);
          if (cache.add(new Seen(next, step.state()))) {
            stack.add(new Frame(entry, state));
            state = step.state();
            linearized = next;
            lift(entry);
            if (linearized.cardinality() > best) {
              best = linearized.cardinality();
            }
            entry = head.next;
            continue;
          }
        }
        entry = entry.next;
      } else {
        // An operation returned before it could be placed: undo the latest choice.
        if (stack.isEmpty()) {
          stuck = entry.op;
          return violation(key, ops, stuck, best);
        }
        Frame f = stack.remove(stack.size() - 1);
        state = f.state();
        linearized.clear(f.call().slot);
        unlift(f.call());
        entry = f.call().next;
      }
    }
    return new Result(true, null, null);
  }

  private record Step(boolean legal, String state) {}

  private static Step step(String state, Op op) {
    boolean unknown = op.outcome() == Op.Outcome.UNKNOWN;
    return switch (op.kind()) {
      case PUT -> new Step(true, op.value());
      case DELETE -> new Step(true, null);
      case GET -> new Step(Objects.equals(state, op.observed()), state);
      case CAS -> {
        boolean matches = Objects.equals(state, op.expected());
        if (unknown) {
          yield new Step(true, matches ? op.value() : state);
        }
        yield new Step(matches == op.casApplied(), matches ? op.value() : state);
      }
    };
  }

  private static void lift(Node call) {
    call.prev.next = call.next;
    if (call.next != null) {
      call.next.prev = call.prev;
    }
    Node ret = call.match;
    ret.prev.next = ret.next;
    if (ret.next != null) {
      ret.next.prev = ret.prev;
    }
  }

  private static void unlift(Node call) {
    Node ret = call.match;
    ret.prev.next = ret;
    if (ret.next != null) {
      ret.next.prev = ret;
    }
    call.prev.next = call;
    if (call.next != null) {
      call.next.prev = call;
    }
  }

  private static Result violation(String key, List<Op> ops, Op stuck, int best) {
    StringBuilder b = new StringBuilder();
    b.append("key ").append(key).append(": no linearization; the search placed at most ").append(best)
        .append(" of ").append(ops.size()).append(" operations and could not place ")
        .append(stuck.describe()).append('\n');
    ops.stream().sorted(Comparator.comparingLong(Op::invokeNanos))
        .forEach(op -> b.append("  ").append(op.describe()).append('\n'));
    return new Result(false, key, b.toString());
  }
}
