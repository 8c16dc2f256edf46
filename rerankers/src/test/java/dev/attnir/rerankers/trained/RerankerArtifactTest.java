package dev.attnir.rerankers.trained;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The artifact file format: round trips (f32 exact, f16 to its rounding) and the refusals of bad bytes. */
class RerankerArtifactTest {

  static RerankerArtifact sample(int format) {
    float[] w = TrainedFixtures.gaussian(6 * 4, 0.7, 1);
    w[0] = 1e-6f; // below f16's normal range: a subnormal
    w[1] = 70000f; // above f16's range: rounds to infinity
    float[] b = TrainedFixtures.gaussian(4, 0.3, 2);
    float[] s = TrainedFixtures.gaussian(3, 1, 3);
    var infos = List.of(new RerankerArtifact.TensorInfo("a.weight", new long[] {6, 4}, "f16"),
        new RerankerArtifact.TensorInfo("a.bias", new long[] {4}, "f32"),
        new RerankerArtifact.TensorInfo("anchor.start", new long[] {3}, "f32"));
    var header = new RerankerArtifact.Header(format, "mvp", "all-MiniLM-L6-v2", "ab".repeat(32), 128, 2,
        List.of(1L, 2L), Map.of("anchor", "learned"), Map.of("steps", 10, "lr", "1e-4"), infos);
    var tensors = new java.util.LinkedHashMap<String, float[]>();
    tensors.put("a.weight", w);
    tensors.put("a.bias", b);
    tensors.put("anchor.start", s);
    return new RerankerArtifact(header, tensors);
  }

  @Test
  void roundTripIsExactForF32AndTheF16RoundingForF16() {
    RerankerArtifact a = sample(1);
    RerankerArtifact r = RerankerArtifact.read(a.toBytes(), "sample");
    assertEquals(a.header().kind(), r.header().kind());
    assertEquals(a.header().baseOnnxSha256(), r.header().baseOnnxSha256());
    assertEquals(a.header().viewTokenIds(), r.header().viewTokenIds());
    assertEquals(a.header().settings(), r.header().settings());
    assertEquals(List.of("a.weight", "a.bias", "anchor.start"), r.tensorNames());
    assertArrayEquals(a.tensors().get("a.bias"), r.tensors().get("a.bias"), 0f, "f32 exact");
    assertArrayEquals(a.tensors().get("anchor.start"), r.tensors().get("anchor.start"), 0f, "f32 exact");
    float[] w = a.tensors().get("a.weight");
    float[] back = r.tensors().get("a.weight");
    for (int i = 0; i < w.length; i++) {
      float rounded = Float.float16ToFloat(Float.floatToFloat16(w[i]));
      assertEquals(rounded, back[i], 0f, "f16 value " + i + " is the f16 rounding of " + w[i]);
      if (Math.abs(w[i]) >= 6.2e-5 && Math.abs(w[i]) <= 65504) { // normal f16 range: relative error <= 2^-11
        assertTrue(Math.abs(back[i] - w[i]) <= Math.abs(w[i]) * 0x1p-11, "value " + i);
      }
    }
    assertEquals(Float.POSITIVE_INFINITY, back[1]);
    assertTrue(back[0] != 0 && Math.abs(back[0] - 1e-6f) < 6e-8, "subnormal kept to its precision");
    assertArrayEquals(r.toBytes(), RerankerArtifact.read(r.toBytes(), "again").toBytes(), "stable second trip");
  }

  @Test
  void badBytesAreRefusedNamingTheSourceAndWhatIsWrong() {
    byte[] good = sample(1).toBytes();
    byte[] magic = good.clone();
    magic[3] = 'X';
    assertMessage(magic, "bad magic");
    assertMessage(Arrays.copyOf(good, 10), "bad magic");
    assertMessage(Arrays.copyOf(good, good.length - 3), "truncated");
    byte[] trailing = Arrays.copyOf(good, good.length + 5);
    assertMessage(trailing, "5 bytes after the last tensor");
    assertMessage(sample(2).toBytes(), "format 2 is not supported");
    byte[] longHeader = good.clone();
    ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putInt(RerankerArtifact.MAGIC.length, 1 << 30);
    assertMessage(longHeader, "exceeds the file");
    byte[] badJson = good.clone();
    badJson[RerankerArtifact.MAGIC.length + 4] = '[';
    assertMessage(badJson, "unreadable header");
  }

  static void assertMessage(byte[] bytes, String part) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RerankerArtifact.read(bytes, "file.rrk"));
    assertTrue(e.getMessage().startsWith("file.rrk: "), e.getMessage());
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
