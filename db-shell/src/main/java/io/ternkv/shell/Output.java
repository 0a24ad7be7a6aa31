package io.ternkv.shell;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How results are printed: {@code table} (aligned columns, for people), {@code plain} (values
 * only, for pipes) or {@code json} (one object per result, one per line).
 */
enum Output {
  TABLE,
  PLAIN,
  JSON;

  static Output parse(String s) {
    try {
      return valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("output must be table, plain or json, not '" + s + "'");
    }
  }

  /** A JSON value for bytes: a string when printable UTF-8, else {"base64": "..."}. */
  static JsonElement jsonBytes(byte[] bytes) {
    String text = Values.printableUtf8(bytes);
    if (text != null) {
      return new JsonPrimitive(text);
    }
    JsonObject o = new JsonObject();
    o.addProperty("base64", Base64.getEncoder().encodeToString(bytes));
    return o;
  }

  /**
   * The bytes a JSON value stands for (a string, or {"base64": "..."}).
   *
   * @throws IllegalArgumentException for anything else
   */
  static byte[] bytesOf(JsonElement e, String field) {
    if (e == null || e.isJsonNull()) {
      throw new IllegalArgumentException("missing \"" + field + "\"");
    }
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
      return e.getAsString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    if (e.isJsonObject() && e.getAsJsonObject().has("base64")) {
      try {
        return Base64.getDecoder().decode(e.getAsJsonObject().get("base64").getAsString());
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException("\"" + field + "\" has invalid base64");
      }
    }
    throw new IllegalArgumentException("\"" + field + "\" must be a string or {\"base64\": ...}");
  }

  /** A table: header row plus rows, columns padded to their widest cell. */
  static String table(List<String> header, List<List<String>> rows) {
    int[] width = new int[header.size()];
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    for (List<String> r : all) {
      for (int i = 0; i < r.size(); i++) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    }
    StringBuilder b = new StringBuilder();
    for (int n = 0; n < all.size(); n++) {
      List<String> r = all.get(n);
      for (int i = 0; i < r.size(); i++) {
        if (i > 0) {
          b.append("  ");
        }
        b.append(i == r.size() - 1 ? r.get(i) : pad(r.get(i), width[i]));
      }
      b.append('\n');
      if (n == 0) {
        for (int i = 0; i < width.length; i++) {
          if (i > 0) {
            b.append("  ");
          }
          b.append("-".repeat(width[i]));
        }
        b.append('\n');
      }
    }
    return b.toString();
  }

  private static String pad(String s, int w) {
    return s + " ".repeat(Math.max(0, w - s.length()));
  }

  /** An ordered JSON object from pairs. */
  static JsonObject object(Map<String, Object> fields) {
    JsonObject o = new JsonObject();
    fields.forEach(
        (k, v) -> {
          if (v instanceof JsonElement e) {
            o.add(k, e);
          } else if (v instanceof Number num) {
            o.addProperty(k, num);
          } else if (v instanceof Boolean bool) {
            o.addProperty(k, bool);
          } else if (v != null) {
            o.addProperty(k, v.toString());
          }
        });
    return o;
  }

  static Map<String, Object> fields() {
    return new LinkedHashMap<>();
  }

  static JsonArray array(List<JsonObject> items) {
    JsonArray a = new JsonArray();
    items.forEach(a::add);
    return a;
  }
}
