package dev.attnir.encoders.pooling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.attnir.encoders.Digests;
import dev.attnir.encoders.StatefulPooling;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.store.BufferedChecksumIndexInput;
import org.apache.lucene.store.ByteBuffersDataInput;
import org.apache.lucene.store.ByteBuffersDataOutput;
import org.apache.lucene.store.ByteBuffersIndexInput;
import org.apache.lucene.store.ByteBuffersIndexOutput;
import org.apache.lucene.store.ChecksumIndexInput;
import org.apache.lucene.store.IndexOutput;
import org.junit.jupiter.api.Test;

/** The pooling state formats: Lucene codec containers (version 2), the legacy version 1, and damage detection. */
class PoolingStateFormatTest {

  private static final byte[] WHITENING_V1 = PoolingStateFixtures.resource(PoolingStateFixtures.LEGACY
      + "whitening-v1.bin");
  private static final byte[] HEAD_V1 = PoolingStateFixtures.resource(PoolingStateFixtures.LEGACY + "head-v1.bin");

  private static void assertSameTransform(WhiteningTransform expected, WhiteningTransform actual) {
    assertEquals(expected.modelName(), actual.modelName());
    assertEquals(expected.modelSha256(), actual.modelSha256());
    assertEquals(expected.inputDims(), actual.inputDims());
    assertEquals(expected.outputDims(), actual.outputDims());
    assertEquals(expected.fitCount(), actual.fitCount());
    assertEquals(Double.doubleToRawLongBits(expected.epsilon()), Double.doubleToRawLongBits(actual.epsilon()));
    assertArrayEquals(expected.mean(), actual.mean());
    assertArrayEquals(expected.matrix(), actual.matrix());
    assertArrayEquals(expected.singularValues(), actual.singularValues());
  }

  private static void assertSameHead(HeadState expected, HeadState actual) {
    assertEquals(expected.config(), actual.config());
    assertArrayEquals(expected.onnx(), actual.onnx());
  }

  /** Checks the bytes with Lucene alone: header (codec, version 2), then the footer and checksum. */
  private static void assertCodecContainer(byte[] bytes, String codec) throws IOException {
    try (ChecksumIndexInput in = new BufferedChecksumIndexInput(
        new ByteBuffersIndexInput(new ByteBuffersDataInput(List.of(ByteBuffer.wrap(bytes))), "test"))) {
      assertEquals(2, CodecUtil.checkHeader(in, codec, 2, 2));
      in.seek(bytes.length - CodecUtil.footerLength());
      CodecUtil.checkFooter(in);
    }
  }

  private static void assertRefused(Consumer<byte[]> reader, byte[] bytes, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reader.accept(bytes));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
  }

  private static byte[] flip(byte[] bytes, int at) {
    byte[] b = bytes.clone();
    b[at] ^= 0x10;
    return b;
  }

  /** A container of the whitening codec with another format version and an otherwise valid body. */
  private static byte[] whiteningContainer(int version) throws IOException {
    byte[] current = PoolingStateFixtures.whitening().serialize();
    int header = CodecUtil.headerLength(WhiteningTransform.CODEC);
    ByteBuffersDataOutput buffer = new ByteBuffersDataOutput();
    try (IndexOutput out = new ByteBuffersIndexOutput(buffer, "test", "test")) {
      CodecUtil.writeHeader(out, WhiteningTransform.CODEC, version);
      out.writeBytes(current, header, current.length - header - CodecUtil.footerLength());
      CodecUtil.writeFooter(out);
    }
    return buffer.toArrayCopy();
  }

  @Test
  void whiteningRoundTripsThroughACodecContainer() throws IOException {
    WhiteningTransform original = PoolingStateFixtures.whitening();
    byte[] bytes = original.serialize();
    assertCodecContainer(bytes, "AttnirWhitening");
    WhiteningTransform back = WhiteningTransform.deserialize(bytes);
    assertSameTransform(original, back);
    assertArrayEquals(bytes, back.serialize(), "serialization is deterministic");
    float[] x = {1, -2, 0.5f};
    assertArrayEquals(original.apply(x), back.apply(x));
  }

  @Test
  void headRoundTripsThroughACodecContainer() throws IOException {
    HeadState original = PoolingStateFixtures.head();
    byte[] bytes = original.serialize();
    assertCodecContainer(bytes, "AttnirPoolingHead");
    HeadState back = HeadState.deserialize(bytes);
    assertSameHead(original, back);
    assertArrayEquals(bytes, back.serialize(), "serialization is deterministic");
    try (TrainedHeadPooling p = TrainedHeadPooling.fromState(bytes)) {
      assertArrayEquals(bytes, p.state());
      float[][] y = p.forward(1, new float[][] {{1, 2, 3, 4, 3, 4, 5, 6, 5, 6, 7, 8}});
      assertArrayEquals(new float[] {3, 4, 5, 6}, y[0], 1e-6f);
    }
  }

  @Test
  void aNewWhiteningPoolingWritesTheCurrentFormat() throws IOException {
    WhiteningPooling p = new WhiteningPooling(new MeanPooling(), PoolingStateFixtures.whitening());
    assertCodecContainer(p.state(), WhiteningTransform.CODEC);
    assertEquals(Digests.sha256(p.state()), p.parameters().get(StatefulPooling.STATE_SHA256));
  }

  @Test
  void legacyWhiteningFixtureReadsAsTheOriginal() {
    assertTrue(LegacyStateV1.isWhitening(WHITENING_V1));
    assertSameTransform(PoolingStateFixtures.whitening(), WhiteningTransform.deserialize(WHITENING_V1));
  }

  @Test
  void legacyWhiteningIndexRecordStillRestoresWithItsDigest() {
    Map<String, String> recorded = PoolingStateFixtures.parameters(PoolingStateFixtures.LEGACY
        + "whitening-v1.parameters");
    assertEquals(Digests.sha256(WHITENING_V1), recorded.get(StatefulPooling.STATE_SHA256));
    WhiteningPooling p = (WhiteningPooling) Poolings.restore("whiten", recorded,
        sha -> sha.equals(recorded.get(StatefulPooling.STATE_SHA256)) ? WHITENING_V1.clone() : null);
    assertArrayEquals(WHITENING_V1, p.state(), "the state keeps the bytes it was restored from");
    assertEquals(recorded, new TreeMap<>(p.parameters()));
    assertSameTransform(PoolingStateFixtures.whitening(), p.transform());
    assertFalse(Arrays.equals(WHITENING_V1, p.transform().serialize()), "re-serializing writes version 2");
  }

  @Test
  void legacyHeadFixtureReadsAsTheOriginalAndRuns() {
    assertTrue(LegacyStateV1.isHead(HEAD_V1));
    assertSameHead(PoolingStateFixtures.head(), HeadState.deserialize(HEAD_V1));
    Map<String, String> recorded = PoolingStateFixtures.parameters(PoolingStateFixtures.LEGACY + "head-v1.parameters");
    try (TrainedHeadPooling p = (TrainedHeadPooling) Poolings.restore("trained", recorded, sha -> HEAD_V1.clone())) {
      assertArrayEquals(HEAD_V1, p.state());
      assertEquals(recorded, new TreeMap<>(p.parameters()));
      float[][] y = p.forward(1, new float[][] {{0, 0, 0, 3, 1, 1, 1, 3, 2, 2, 2, 3}});
      assertArrayEquals(new float[] {1, 1, 1, 3}, y[0], 1e-6f);
    }
  }

  @Test
  void damagedOrTruncatedContainersAreRefusedByChecksum() {
    byte[] whitening = PoolingStateFixtures.whitening().serialize();
    byte[] head = PoolingStateFixtures.head().serialize();
    Consumer<byte[]> readWhitening = WhiteningTransform::deserialize;
    Consumer<byte[]> readHead = HeadState::deserialize;
    int header = CodecUtil.headerLength(WhiteningTransform.CODEC);
    // a flipped bit in the body, in the codec name, in the stored checksum
    assertRefused(readWhitening, flip(whitening, header + 3), "whitening transform", "damaged", "checksum failed");
    assertRefused(readWhitening, flip(whitening, 6), "whitening transform", "damaged", "checksum failed");
    assertRefused(readWhitening, flip(whitening, whitening.length - 2), "damaged", "checksum failed");
    assertRefused(readHead, flip(head, head.length / 2), "pooling head", "damaged", "checksum failed");
    // truncated anywhere, or extended
    for (int cut : new int[] {1, 5, CodecUtil.footerLength(), whitening.length - header}) {
      assertRefused(readWhitening, Arrays.copyOf(whitening, whitening.length - cut), "whitening transform",
          "truncated or damaged");
    }
    assertRefused(readHead, Arrays.copyOf(head, head.length - 100), "pooling head", "truncated or damaged");
    assertRefused(readHead, Arrays.copyOf(head, head.length + 3), "pooling head", "truncated or damaged");
    // too short to be anything
    assertRefused(readWhitening, new byte[0], "not a whitening transform");
    assertRefused(readHead, Arrays.copyOf(head, 3), "not a pooling head");
  }

  @Test
  void anotherCodecIsRefusedByName() {
    assertRefused(WhiteningTransform::deserialize, PoolingStateFixtures.head().serialize(), "whitening transform",
        "AttnirPoolingHead", "AttnirWhitening");
    assertRefused(HeadState::deserialize, PoolingStateFixtures.whitening().serialize(), "pooling head",
        "AttnirWhitening", "AttnirPoolingHead");
    // a legacy state of the other kind, or something else entirely (a bare ONNX graph)
    assertRefused(WhiteningTransform::deserialize, HEAD_V1, "not a whitening transform");
    assertRefused(HeadState::deserialize, WHITENING_V1, "not a pooling head");
    assertRefused(HeadState::deserialize, PoolingStateFixtures.meanOverLayersGraph(3, 4), "not a pooling head");
  }

  @Test
  void anUnknownFormatVersionIsRefusedWithExpectedAndActual() throws IOException {
    assertArrayEquals(PoolingStateFixtures.whitening().serialize(), whiteningContainer(2), "test container is exact");
    assertRefused(WhiteningTransform::deserialize, whiteningContainer(3), "whitening transform", "format version 3",
        "AttnirWhitening", "versions 1 to 2");
    assertRefused(WhiteningTransform::deserialize, whiteningContainer(1), "format version 1", "versions 1 to 2");
  }

  @Test
  void damagedLegacyStateIsRefused() {
    assertRefused(WhiteningTransform::deserialize, flip(WHITENING_V1, 40), "whitening transform", "format version 1",
        "checksum mismatch");
    assertRefused(WhiteningTransform::deserialize, Arrays.copyOf(WHITENING_V1, WHITENING_V1.length - 4),
        "whitening transform", "damaged");
    assertRefused(HeadState::deserialize, flip(HEAD_V1, HEAD_V1.length / 2), "pooling head", "checksum mismatch");
    assertRefused(HeadState::deserialize, Arrays.copyOf(HEAD_V1, 10), "pooling head", "truncated");
  }
}
