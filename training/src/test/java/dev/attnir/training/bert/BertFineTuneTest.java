package dev.attnir.training.bert;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TensorRequest;
import dev.attnir.encoders.TokenizedText;
import dev.attnir.encoders.bert.BertWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One autograd SGD step on MiniLM, then the trained weights written back into the ONNX graph and run by ORT. */
class BertFineTuneTest {

  private static final List<String> TEXTS = List.of("the cat sat on the mat", "a dog barked at the postman",
      "what is the capital of France?");

  /** Toy loss: squared distance between the [CLS] states of rows 0 and 1 (pull the two texts together). */
  private static NDArray loss(TrainableBert m, Batch batch, NDManager scope) {
    List<NDArray> h = m.forward(batch, scope);
    NDArray last = h.get(h.size() - 1);
    return last.get(new NDIndex("0, 0")).sub(last.get(new NDIndex("1, 0"))).square().mean();
  }

  @Test
  void oneSgdStepLowersTheLossAndTheWrittenBackGraphRunsAsTheDjlForward(@TempDir Path dir) throws Exception {
    ModelSpec spec = ModelRegistry.resolve("all-MiniLM-L6-v2");
    byte[] original = spec.source().readOnnx();
    try (TrainableBert m = TrainableBert.of(BertWeights.read(original));
        OnnxEncoder plain = OnnxEncoder.load(spec, EncoderOptions.defaults())) {
      List<TokenizedText> tokens = plain.tokenizer().encodeAll(TEXTS);
      Batch batch = Batch.of(new int[] {0, 1, 2}, tokens);
      String probe = "encoder.layer.3.attention.self.query.weight";
      float[] before = m.parameters().get(probe).toFloatArray();
      // the gradient also reaches the embedding tables through the gather: the row of a token in the batch
      int token = (int) batch.inputIds()[1];
      String table = "embeddings.word_embeddings.weight";
      float[] rowBefore = m.parameters().get(table).get(token).toFloatArray();
      float[] unusedBefore = m.parameters().get(table).get(0).toFloatArray(); // [PAD] is in no real position
      Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build();
      double loss0;
      try (NDManager scope = m.manager().newSubManager()) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          NDArray l = loss(m, batch, scope);
          gc.backward(l);
          loss0 = l.getFloat();
        }
        for (Map.Entry<String, NDArray> e : m.parameters().entrySet()) {
          NDArray grad = e.getValue().getGradient();
          grad.attach(scope);
          sgd.update(e.getKey(), e.getValue(), grad);
          grad.subi(grad);
        }
      }
      double loss1;
      try (NDManager scope = m.manager().newSubManager()) {
        loss1 = loss(m, batch, scope).getFloat();
      }
      float[] after = m.parameters().get(probe).toFloatArray();
      double change = 0;
      for (int i = 0; i < before.length; i++) {
        change = Math.max(change, Math.abs(after[i] - before[i]));
      }
      System.out.println("SGD step: loss " + loss0 + " -> " + loss1 + "; max change of " + probe + " " + change);
      assertTrue(change > 0, "the parameter did not change");
      assertTrue(!java.util.Arrays.equals(rowBefore, m.parameters().get(table).get(token).toFloatArray()),
          "the embedding row of token " + token + " did not change");
      org.junit.jupiter.api.Assertions.assertArrayEquals(unusedBefore, m.parameters().get(table).get(0).toFloatArray());
      assertTrue(loss1 < loss0, "loss did not decrease: " + loss0 + " -> " + loss1);

      byte[] trained = OnnxWriteBack.writeVerified(original, m, batch);
      // The write-back is not vacuous: the trained graph's output moved away from the original's.
      EncoderOutputs originalOut = plain.run(batch, TensorRequest.none());
      Files.write(dir.resolve("model.onnx"), trained);
      Files.write(dir.resolve("tokenizer.json"), spec.source().readTokenizerJson());
      Files.writeString(dir.resolve("model.json"), "{\"name\": \"minilm-sgd-step\"}");
      try (OnnxEncoder written = OnnxEncoder.load(ModelRegistry.fromDirectory(dir), EncoderOptions.defaults());
          NDManager scope = m.manager().newSubManager()) {
        EncoderOutputs out = written.run(batch, TensorRequest.none());
        List<NDArray> h = m.forward(batch, scope);
        float[] djl = h.get(h.size() - 1).toFloatArray();
        double diff = BertVerification.maxDifference(djl, out.lastHidden(), out, batch);
        double moved = BertVerification.maxDifference(originalOut.lastHidden(), out.lastHidden(), out, batch);
        System.out.println("written-back graph in OnnxEncoder: max |ORT - DJL| " + diff + "; moved from original "
            + moved);
        assertTrue(diff <= 1e-4, "ORT vs DJL after write-back: " + diff);
        assertTrue(moved > 1e-3, "training did not change the written graph's output: " + moved);
        // Same graph: node list untouched, only initializer contents changed.
        var a = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(original).getGraph();
        var b = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(trained).getGraph();
        assertEquals(a.getNodeList(), b.getNodeList());
        assertEquals(a.getInitializerCount(), b.getInitializerCount());
      }
      // a graph that is not the one the model was read from is refused
      String missing = m.weights().tensor("encoder.layer.4.output.dense.weight").initializer();
      var g = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(original).getGraph().toBuilder();
      for (int i = 0; i < g.getInitializerCount(); i++) {
        if (g.getInitializer(i).getName().equals(missing)) {
          g.removeInitializer(i);
          break;
        }
      }
      byte[] other = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(original).toBuilder().setGraph(g).build().toByteArray();
      IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
          () -> OnnxWriteBack.write(other, m));
      assertTrue(e.getMessage().contains("not the graph the model was read from"), e.getMessage());
    }
  }
}
