package io.ternkv.shell;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a shell line into statements (separated by {@code ;}) and each statement into words.
 *
 * <p>Double quotes allow spaces and escapes ({@code \n \t \r \0 \\ \" \' \xHH}); single quotes
 * take everything literally. A word keeps its exact bytes, so {@code "\xff"} is one byte 0xFF.
 */
final class Tokenizer {
  private Tokenizer() {}

  /**
   * One word.
   *
   * @param text the word as text (escaped bytes that are not UTF-8 show as U+FFFD)
   * @param bytes the word's exact bytes
   * @param quoted whether any part of it was quoted (then {@code 0x...} is not hex)
   */
  record Word(String text, byte[] bytes, boolean quoted) {
    static Word plain(String s) {
      return new Word(s, s.getBytes(StandardCharsets.UTF_8), false);
    }
  }

  /**
   * Splits a line into statements of words; empty statements are dropped.
   *
   * @throws IllegalArgumentException for an unterminated quote or a bad escape
   */
  static List<List<Word>> statements(String line) {
    List<List<Word>> out = new ArrayList<>();
    List<Word> current = new ArrayList<>();
    ByteArrayOutputStream word = null;
    boolean quoted = false;
    int i = 0;
    while (i < line.length()) {
      char c = line.charAt(i);
      if (c == ';') {
        word = flush(current, word, quoted);
        quoted = false;
        if (!current.isEmpty()) {
          out.add(current);
          current = new ArrayList<>();
        }
        i++;
      } else if (Character.isWhitespace(c)) {
        word = flush(current, word, quoted);
        quoted = false;
        i++;
      } else if (c == '"' || c == '\'') {
        if (word == null) {
          word = new ByteArrayOutputStream();
        }
        quoted = true;
        i = c == '"' ? doubleQuoted(line, i + 1, word) : singleQuoted(line, i + 1, word);
      } else {
        if (word == null) {
          word = new ByteArrayOutputStream();
        }
        int cp = line.codePointAt(i);
        word.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp);
      }
    }
    flush(current, word, quoted);
    if (!current.isEmpty()) {
      out.add(current);
    }
    return out;
  }

  private static ByteArrayOutputStream flush(List<Word> words, ByteArrayOutputStream word, boolean quoted) {
    if (word != null) {
      byte[] b = word.toByteArray();
      words.add(new Word(new String(b, StandardCharsets.UTF_8), b, quoted));
    }
    return null;
  }

  private static int singleQuoted(String line, int i, ByteArrayOutputStream out) {
    int end = line.indexOf('\'', i);
    if (end < 0) {
      throw new IllegalArgumentException("unterminated ' quote");
    }
    out.writeBytes(line.substring(i, end).getBytes(StandardCharsets.UTF_8));
    return end + 1;
  }

  private static int doubleQuoted(String line, int i, ByteArrayOutputStream out) {
    while (i < line.length()) {
      char c = line.charAt(i);
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\') {
        if (i + 1 >= line.length()) {
          break;
        }
        char e = line.charAt(i + 1);
        switch (e) {
          case 'n' -> out.write('\n');
          case 't' -> out.write('\t');
          case 'r' -> out.write('\r');
          case '0' -> out.write(0);
          case '\\', '"', '\'' -> out.write(e);
          case 'x' -> {
            String hex = line.substring(i + 2, Math.min(i + 4, line.length()));
            if (hex.length() != 2 || !hex.matches("[0-9a-fA-F]{2}")) {
              throw new IllegalArgumentException("\\x needs two hex digits, got '" + hex + "'");
            }
            out.write(Integer.parseInt(hex, 16));
            i += 2;
          }
          default -> throw new IllegalArgumentException("unknown escape \\" + e);
        }
        i += 2;
      } else {
        int cp = line.codePointAt(i);
        out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp);
      }
    }
    throw new IllegalArgumentException("unterminated \" quote");
  }
}
