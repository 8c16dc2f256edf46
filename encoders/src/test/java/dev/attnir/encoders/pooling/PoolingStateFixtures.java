package dev.attnir.encoders.pooling;

import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Known pooling states, and the generator of the committed legacy (format version 1) fixtures under
 * {@code src/test/resources/dev/attnir/encoders/pooling/legacy}: they were written by the hand-rolled v1 serializers
 * before the states moved to Lucene codec containers, so they stand for what existing indexes hold. A later build
 * writes the codec containers, so {@link #writeFixtures} refuses to overwrite them.
 */
public class PoolingStateFixtures {

  /** Resource folder of the legacy fixtures. */
  static final String LEGACY = "/dev/attnir/encoders/pooling/legacy/";

  static final String MODEL_SHA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

  /** A whitening transform with hand-picked values: d = 3, k = 2, a non-ASCII model name. */
  static WhiteningTransform whitening() {
    return WhiteningTransform.of("fixture-modèl", MODEL_SHA, new float[] {0.5f, -1.25f, 3f},
        new float[] {1.5f, -0.25f, 0.125f, 2f, -0.75f, 0.0625f}, new float[] {4f, 1f, 0.25f}, 2, 1234, 1e-6);
  }

  /** A head over layers 1..3 of 4-dimensional hidden states whose graph averages the layer vectors. */
  static HeadState head() {
    Map<String, String> training = new LinkedHashMap<>();
    training.put("seed", "7");
    training.put("loss", "infonce");
    return new HeadState(new HeadState.HeadConfig("fixture-model", MODEL_SHA, 4, "mean", 1, 3, 2, 2, 8, 2, training),
        meanOverLayersGraph(3, 4));
  }

  /** An ONNX graph {@code layers [batch, layers, hidden] -> embedding [batch, hidden]}: the mean over layers. */
  static byte[] meanOverLayersGraph(int layers, int hidden) {
    OnnxMl.TypeProto.Builder in = OnnxMl.TypeProto.newBuilder();
    in.getTensorTypeBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).getShapeBuilder()
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(layers))
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(hidden));
    OnnxMl.TypeProto.Builder out = OnnxMl.TypeProto.newBuilder();
    out.getTensorTypeBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT.getNumber()).getShapeBuilder()
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(hidden));
    OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder().setName("mean_over_layers")
        .addInput(OnnxMl.ValueInfoProto.newBuilder().setName(TrainedHeadPooling.INPUT).setType(in))
        .addOutput(OnnxMl.ValueInfoProto.newBuilder().setName(TrainedHeadPooling.OUTPUT).setType(out))
        .addNode(OnnxMl.NodeProto.newBuilder().setOpType("ReduceMean").setName("mean")
            .addInput(TrainedHeadPooling.INPUT).addOutput(TrainedHeadPooling.OUTPUT)
            .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("axes")
                .setType(OnnxMl.AttributeProto.AttributeType.INTS).addInts(1))
            .addAttribute(OnnxMl.AttributeProto.newBuilder().setName("keepdims")
                .setType(OnnxMl.AttributeProto.AttributeType.INT).setI(0)))
        .build();
    return OnnxMl.ModelProto.newBuilder().setIrVersion(7).setProducerName("attnir-test")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .setGraph(graph).build().toByteArray();
  }

  /** A test resource's bytes. */
  static byte[] resource(String name) {
    try (InputStream in = PoolingStateFixtures.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Pooling parameters as recorded beside a fixture ({@code key=value} lines). */
  static Map<String, String> parameters(String name) {
    Properties p = new Properties();
    try {
      p.load(new StringReader(new String(resource(name), StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> m = new TreeMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    return m;
  }

  private static void writeParameters(Path file, Map<String, String> parameters) throws IOException {
    StringBuilder sb = new StringBuilder();
    new TreeMap<>(parameters).forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    Files.writeString(file, sb.toString(), StandardCharsets.ISO_8859_1);
  }

  /**
   * Writes the fixtures with the serializers of this build:
   * {@code mvn -B -pl encoders -am test -Dtest=PoolingStateFixtures -Dsurefire.failIfNoSpecifiedTests=false
   * -Dattnir.fixtures.out=$PWD/encoders/src/test/resources/dev/attnir/encoders/pooling/legacy}.
   */
  @Test
  @EnabledIfSystemProperty(named = "attnir.fixtures.out", matches = ".+")
  void writeFixtures() throws IOException {
    Path dir = Path.of(System.getProperty("attnir.fixtures.out"));
    Files.createDirectories(dir);
    WhiteningPooling whiten = new WhiteningPooling(new MeanPooling(), whitening());
    if (!LegacyStateV1.isWhitening(whiten.state())) {
      throw new IllegalStateException("this build writes the codec containers, not format version 1: the v1 fixtures "
          + "were written by commit 52da04e and stay as they are");
    }
    Files.write(dir.resolve("whitening-v1.bin"), whiten.state());
    writeParameters(dir.resolve("whitening-v1.parameters"), whiten.parameters());
    byte[] head = head().serialize();
    Files.write(dir.resolve("head-v1.bin"), head);
    try (TrainedHeadPooling p = TrainedHeadPooling.fromState(head)) {
      writeParameters(dir.resolve("head-v1.parameters"), p.parameters());
    }
  }
}
