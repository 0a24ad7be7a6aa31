package io.ternkv.server.auth;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** Whether the union of granted spans covers a requested span entirely. */
final class Coverage {
  private Coverage() {}

  static boolean covers(List<KeySpan> granted, KeySpan wanted) {
    if (wanted.isEmpty()) {
      return true;
    }
    List<KeySpan> sorted = new ArrayList<>(granted);
    sorted.sort(Comparator.comparing(KeySpan::start, Arrays::compareUnsigned));
    byte[] cursor = wanted.start();
    // Sweep from the wanted start: each granted span that contains the cursor moves it to its end.
    for (KeySpan g : sorted) {
      if (Arrays.compareUnsigned(g.start(), cursor) > 0) {
        break; // a gap before g: cursor is not granted (spans sorted by start)
      }
      if (g.end() == null) {
        return true;
      }
      if (Arrays.compareUnsigned(g.end(), cursor) > 0) {
        cursor = g.end();
        if (wanted.end() != null && Arrays.compareUnsigned(cursor, wanted.end()) >= 0) {
          return true;
        }
      }
    }
    return false;
  }
}
