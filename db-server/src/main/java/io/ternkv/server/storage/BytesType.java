package io.ternkv.server.storage;

import java.nio.ByteBuffer;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;

/**
 * MVStore data type for byte arrays ordered by unsigned lexicographic comparison, the order in
 * which TernKV ranges are defined.
 */
final class BytesType extends BasicDataType<byte[]> {
  static final BytesType INSTANCE = new BytesType();

  private BytesType() {}

  @Override
  public int getMemory(byte[] obj) {
    return 24 + obj.length;
  }

  @Override
  public void write(WriteBuffer buff, byte[] obj) {
    buff.putVarInt(obj.length).put(obj);
  }

  @Override
  public byte[] read(ByteBuffer buff) {
    int len = DataUtils.readVarInt(buff);
    byte[] out = new byte[len];
    buff.get(out);
    return out;
  }

  @Override
  public int compare(byte[] a, byte[] b) {
    return java.util.Arrays.compareUnsigned(a, b);
  }

  @Override
  public byte[][] createStorage(int size) {
    return new byte[size][];
  }
}
