package io.ternkv.shell;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;

/**
 * How the shell reads and shows keys and values, which are arbitrary bytes.
 *
 * <p>Input: an unquoted {@code 0x...} word is hex; anything else is the word's bytes (see {@link
 * Tokenizer} for quotes and escapes).
 *
 * <p>Output is always something the shell reads back as the same bytes, so what a person sees is
 * what they can type: plain text as it is; text that would read back differently or hides
 * characters (starts with {@code 0x} or {@code --}, holds spaces, quotes, {@code ;}, tabs,
 * controls, bidi or zero-width characters, or is empty) in double quotes with escapes; bytes that
 * are not UTF-8 as {@code 0x} and hex (always hex in hex mode).
 *
 * <p>Threading: stateless.
 */
final class Values {
  private static final HexFormat HEX = HexFormat.of();

  private Values() {}

  /**
   * The bytes a word stands for.
   *
   * @throws IllegalArgumentException for {@code 0x} followed by something that is not hex
   */
  static byte[] parse(Tokenizer.Word word) {
    String t = word.text();
    if (!word.quoted() && (t.startsWith("0x") || t.startsWith("0X")) && t.length() > 2) {
      String hex = t.substring(2);
      if (hex.length() % 2 != 0 || !hex.matches("[0-9a-fA-F]+")) {
        throw new IllegalArgumentException("'" + t + "' is not hex (quote it to use it as text)");
      }
      return HEX.parseHex(hex);
    }
    return word.bytes();
  }

  /**
   * Shows bytes so that {@link Tokenizer} and {@link #parse} read the result back as the same
   * bytes, as one word: plain text, a quoted string with escapes, or {@code 0x} hex.
   */
  static String show(byte[] bytes, boolean hexMode) {
    if (bytes.length == 0) {
      // "0x" alone reads back as the two-character text, so the empty value is shown quoted.
      return "\"\"";
    }
    String text = hexMode ? null : utf8(bytes);
    if (text == null) {
      return "0x" + HEX.formatHex(bytes);
    }
    return needsQuotes(text) ? quote(text) : text;
  }

  /**
   * The text of UTF-8 bytes that can be shown as they are (no controls other than tab), or null.
   * Used where a plain string is wanted (JSON, completion); {@link #show} is for display.
   */
  static String printableUtf8(byte[] bytes) {
    String text = utf8(bytes);
    if (text == null) {
      return null;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c) && c != '\t') {
        return null;
      }
    }
    return text;
  }

  /** Strictly decoded UTF-8, or null when the bytes are not UTF-8. */
  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** Whether shown as it is, the text would read back as other bytes, or hide characters. */
  private static boolean needsQuotes(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    if (lower.startsWith("0x") || text.startsWith("--")) {
      return true; // read back as hex, or as an option name
    }
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (cp == '"' || cp == '\'' || cp == ';' || cp == ' ' || hidden(cp) || Character.isWhitespace(cp)) {
        return true;
      }
      i += Character.charCount(cp);
    }
    return false;
  }

  /**
   * Characters that are invisible, look like others, or reorder text on screen: controls,
   * format characters (bidi overrides, zero-width spaces, BOM), separators other than the plain
   * space, private-use and unassigned code points.
   */
  private static boolean hidden(int cp) {
    return switch (Character.getType(cp)) {
      case Character.CONTROL,
          Character.FORMAT,
          Character.LINE_SEPARATOR,
          Character.PARAGRAPH_SEPARATOR,
          Character.PRIVATE_USE,
          Character.UNASSIGNED,
          Character.SURROGATE -> true;
      case Character.SPACE_SEPARATOR -> cp != ' ';
      default -> false;
    };
  }

  /** Double-quoted, with the escapes {@link Tokenizer} reads; hidden characters as UTF-8 \xHH. */
  private static String quote(String text) {
    StringBuilder b = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      switch (cp) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        default -> {
          if (hidden(cp)) {
            for (byte x : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
              b.append("\\x").append(HEX.toHexDigits(x));
            }
          } else {
            b.appendCodePoint(cp);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
