package io.ternkv.shell;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * How the shell reads and shows keys and values, which are arbitrary bytes: input {@code 0x...}
 * (unquoted) is hex, anything else is the word's bytes; output is text when the bytes are
 * printable UTF-8, else {@code 0x} and hex (always hex in hex mode).
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

  /** Shows bytes as text when they are printable UTF-8, else as {@code 0x} hex. */
  static String show(byte[] bytes, boolean hexMode) {
    if (!hexMode) {
      String text = printableUtf8(bytes);
      if (text != null) {
        return text;
      }
    }
    return "0x" + HEX.formatHex(bytes);
  }

  /** The text of printable UTF-8 bytes, or null when they are not (controls, invalid). */
  static String printableUtf8(byte[] bytes) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
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
}
