package dev.attnir.training.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.attnir.encoders.Batch;
import dev.attnir.encoders.EncoderOptions;
import dev.attnir.encoders.EncoderOutputs;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.encoders.ModelSpec;
import dev.attnir.encoders.OnnxEncoder;
import dev.attnir.encoders.TensorRequest;
import dev.attnir.encoders.bert.BertWeights;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClsLinearHeadTest {

  @Test
  void headNodesInOnnxRuntimeEqualTheDjlHead() throws Exception {
    ModelSpec spec = ModelRegistry.resolve("all-MiniLM-L6-v2");
    byte[] original = spec.source().readOnnx();
    try (TrainableBert m = TrainableBert.of(BertWeights.read(original));
        ClsLinearHead head = new ClsLinearHead(384, 2, 3);
        OnnxEncoder plain = OnnxEncoder.load(spec, EncoderOptions.defaults())) {
      Batch batch = Batch.of(new int[] {0, 1},
          plain.tokenizer().encodeAll(List.of("a short text", "a somewhat longer text with more tokens in it")));
      byte[] withHead = head.appendTo(OnnxWriteBack.write(original, m));
      float[] djl;
      try (NDManager scope = m.manager().newSubManager()) {
        List<NDArray> h = m.forward(batch, scope);
        djl = head.forward(h.get(h.size() - 1), scope).toFloatArray();
      }
      // independent reference: the [CLS] rows of ORT's own last_hidden_state times the head's values, in Java
      EncoderOutputs out = plain.run(batch, TensorRequest.none());
      float[] w = head.weight().toFloatArray();
      float[] b = head.bias().toFloatArray();
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      long[] shape = {batch.size(), batch.seqLen()};
      try (OrtSession s = env.createSession(withHead, new OrtSession.SessionOptions());
          OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.inputIds()), shape);
          OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.attentionMask()), shape);
          OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.typeIds()), shape);
          OrtSession.Result r = s.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types),
              Set.of(ClsLinearHead.OUTPUT))) {
        assertEquals("last_hidden_state", s.getOutputNames().iterator().next(), "first output unchanged");
        FloatBuffer y = ((OnnxTensor) r.get(ClsLinearHead.OUTPUT).orElseThrow()).getFloatBuffer();
        assertEquals(4, y.remaining());
        for (int row = 0; row < 2; row++) {
          for (int o = 0; o < 2; o++) {
            double ref = b[o];
            for (int k = 0; k < 384; k++) {
              ref += out.lastHidden()[out.hiddenOffset(row, 0) + k] * w[k * 2 + o];
            }
            assertEquals(djl[row * 2 + o], y.get(row * 2 + o), 1e-4, "DJL vs ONNX head, row " + row);
            assertEquals(ref, y.get(row * 2 + o), 1e-4, "Java reference vs ONNX head, row " + row);
          }
        }
        assertTrue(Math.abs(y.get(0) - y.get(2)) > 1e-4, "two texts, two scores");
      }
    }
  }
}
