package dev.attnir.encoders.bert;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a BERT encoder read from the initializers of its ONNX export (HuggingFace optimum / torch.onnx,
 * opset 11, as shipped for all-MiniLM-L6-v2, bge-small-en-v1.5 and e5-small-v2), under HuggingFace parameter names.
 *
 * <p>Exports store the dense kernels as anonymous initializers ({@code onnx::MatMul_1234}), so every tensor is found
 * by graph structure, not by name: the kernel of {@code encoder.layer.N.attention.self.query} is the initializer input
 * of node {@code /encoder/layer.N/attention/self/query/MatMul}, its bias the initializer input of the {@code Add}
 * beside it; LayerNorm scale and shift are the initializer inputs of the LayerNorm's {@code Mul} and {@code Add_1},
 * and its epsilon the constant of its {@code Add}. Dense kernels keep the MatMul layout {@code [in, out]} (the
 * transpose of PyTorch's {@code nn.Linear.weight}); {@link Tensor#initializer()} records where each tensor came from so
 * that {@link OnnxWriteBack} can put it back in the same place and layout.
 *
 * <p>The scalar constants the forward pass needs are read from the graph too: LayerNorm epsilon, the attention
 * scale divisor ({@code sqrt(head_dim)}, which gives the head count), the additive mask value for padded keys, and the
 * GELU form (the export computes {@code x * (1 + erf(x / sqrt2)) * 0.5}; a graph without that {@code Erf} is refused).
 * A graph whose structure is not recognised is refused with the missing node named.
 */
public final class BertWeights {

  /** One named tensor: float values row-major, its shape, and the initializer it was read from. */
  public record Tensor(String initializer, long[] shape, float[] values) {}

  /** Per-layer dense sublayers, in HuggingFace naming; each has {@code .weight} ({@code [in, out]}) and {@code .bias}. */
  public static final List<String> DENSE = List.of("attention.self.query", "attention.self.key",
      "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense");

  /** Per-layer LayerNorms; each has {@code .weight} and {@code .bias}. */
  public static final List<String> LAYER_NORMS = List.of("attention.output.LayerNorm", "output.LayerNorm");

  private final Map<String, Tensor> tensors;
  private final int numLayers;
  private final int hiddenSize;
  private final int numHeads;
  private final float layerNormEps;
  private final float maskValue;

  private BertWeights(Map<String, Tensor> tensors, int numLayers, int hiddenSize, int numHeads, float layerNormEps,
      float maskValue) {
    this.tensors = tensors;
    this.numLayers = numLayers;
    this.hiddenSize = hiddenSize;
    this.numHeads = numHeads;
    this.layerNormEps = layerNormEps;
    this.maskValue = maskValue;
  }

  /**
   * Reads the weights of a serialized ONNX BERT export.
   *
   * @throws IllegalArgumentException when the graph is not a BERT export of the recognised structure
   */
  public static BertWeights read(byte[] onnx) {
    OnnxMl.ModelProto model;
    try {
      model = OnnxMl.ModelProto.parseFrom(onnx);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
    }
    return read(model);
  }

  /**
   * Reads the weights of a parsed ONNX BERT export (for a caller that edits the graph too and parses it once).
   *
   * @throws IllegalArgumentException when the graph is not a BERT export of the recognised structure
   */
  public static BertWeights read(OnnxMl.ModelProto model) {
    return new Reader(model.getGraph()).read();
  }

  /** Tensor by HuggingFace name, e.g. {@code encoder.layer.3.attention.self.query.weight}. */
  public Tensor tensor(String name) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no tensor " + name);
    }
    return t;
  }

  /** All tensors in a fixed order (embeddings, then layer by layer). */
  public Map<String, Tensor> tensors() {
    return tensors;
  }

  public int numLayers() {
    return numLayers;
  }

  public int hiddenSize() {
    return hiddenSize;
  }

  public int numHeads() {
    return numHeads;
  }

  /** LayerNorm epsilon read from the graph (the same for every LayerNorm, checked). */
  public float layerNormEps() {
    return layerNormEps;
  }

  /** What the export multiplies {@code (1 - mask)} by and adds to the attention scores of padded keys. */
  public float maskValue() {
    return maskValue;
  }

  /** Walks the graph: nodes by name, producers by output, initializers by name. */
  private static final class Reader {
    private final Map<String, OnnxMl.NodeProto> byName = new HashMap<>();
    private final Map<String, OnnxMl.NodeProto> byOutput = new HashMap<>();
    private final Map<String, OnnxMl.TensorProto> inits = new HashMap<>();
    private final Map<String, Tensor> out = new LinkedHashMap<>();
    private Float eps;

    Reader(OnnxMl.GraphProto g) {
      for (OnnxMl.NodeProto n : g.getNodeList()) {
        byName.put(n.getName(), n);
        for (String o : n.getOutputList()) {
          byOutput.put(o, n);
        }
      }
      for (OnnxMl.TensorProto t : g.getInitializerList()) {
        inits.put(t.getName(), t);
      }
    }

    BertWeights read() {
      gatherTable("embeddings.word_embeddings.weight", "/embeddings/word_embeddings/Gather");
      gatherTable("embeddings.position_embeddings.weight", "/embeddings/position_embeddings/Gather");
      gatherTable("embeddings.token_type_embeddings.weight", "/embeddings/token_type_embeddings/Gather");
      layerNorm("embeddings.LayerNorm", "/embeddings/LayerNorm");
      int layers = 0;
      while (byName.containsKey("/encoder/layer." + layers + "/attention/self/query/MatMul")) {
        String p = "/encoder/layer." + layers + "/";
        String h = "encoder.layer." + layers + ".";
        for (String dense : DENSE) {
          String path = p + dense.replace('.', '/');
          put(h + dense + ".weight", initializerInput(path + "/MatMul", 2));
          put(h + dense + ".bias", initializerInput(path + "/Add", 1));
        }
        for (String ln : LAYER_NORMS) {
          layerNorm(h + ln, p + ln.replace('.', '/'));
        }
        checkGelu(p + "intermediate/intermediate_act_fn");
        layers++;
      }
      if (layers == 0) {
        throw unrecognised("no node /encoder/layer.0/attention/self/query/MatMul");
      }
      int hidden = (int) out.get("embeddings.word_embeddings.weight").shape()[1];
      float divisor = constantInput("/encoder/layer.0/attention/self/Div", 1);
      int headDim = Math.round(divisor * divisor);
      if (headDim <= 0 || hidden % headDim != 0 || Math.abs(Math.sqrt(headDim) - divisor) > 1e-4) {
        throw unrecognised("attention scale divisor " + divisor + " is not sqrt(head_dim) for hidden size " + hidden);
      }
      OnnxMl.NodeProto scoresAdd = node("/encoder/layer.0/attention/self/Add");
      OnnxMl.NodeProto maskMul = byOutput.get(scoresAdd.getInput(1));
      if (maskMul == null || !maskMul.getOpType().equals("Mul")) {
        throw unrecognised("the attention scores' Add does not take a Mul of the mask");
      }
      float mask = constantInput(maskMul.getName(), 1);
      for (var e : out.entrySet()) {
        long[] s = e.getValue().shape();
        if (e.getKey().startsWith("encoder.") && s[s.length - 1] != hidden && !e.getKey().contains("intermediate")) {
          throw unrecognised(e.getKey() + " has shape " + java.util.Arrays.toString(s) + ", hidden size " + hidden);
        }
      }
      return new BertWeights(out, layers, hidden, hidden / headDim, eps, mask);
    }

    private void gatherTable(String name, String node) {
      put(name, initializerInput(node, 2));
    }

    /** LayerNorm exported as ReduceMean/Sub/Pow/ReduceMean/Add(eps)/Sqrt/Div/Mul(weight)/Add_1(bias). */
    private void layerNorm(String name, String prefix) {
      put(name + ".weight", initializerInput(prefix + "/Mul", 1));
      put(name + ".bias", initializerInput(prefix + "/Add_1", 1));
      float e = constantInput(prefix + "/Add", 1);
      if (eps == null) {
        eps = e;
      } else if (eps != e) {
        throw unrecognised("LayerNorm epsilons differ: " + eps + " and " + e + " at " + prefix);
      }
    }

    /** Checks the activation is erf-GELU with the constants sqrt(2), 1 and 0.5, as the forward pass computes it. */
    private void checkGelu(String prefix) {
      OnnxMl.NodeProto erf = node(prefix + "/Erf");
      if (!erf.getOpType().equals("Erf")) {
        throw unrecognised(prefix + "/Erf is " + erf.getOpType());
      }
      float div = constantInput(prefix + "/Div", 1);
      float one = constantInput(prefix + "/Add", 1);
      float half = constantInput(prefix + "/Mul_1", 1);
      if (Math.abs(div - Math.sqrt(2)) > 1e-6 || one != 1f || half != 0.5f) {
        throw unrecognised("GELU constants " + div + ", " + one + ", " + half + " at " + prefix
            + " are not sqrt(2), 1, 0.5");
      }
    }

    private OnnxMl.NodeProto node(String name) {
      OnnxMl.NodeProto n = byName.get(name);
      if (n == null) {
        throw unrecognised("no node " + name);
      }
      return n;
    }

    /** The one input of the node that is an initializer of the given rank. */
    private OnnxMl.TensorProto initializerInput(String nodeName, int rank) {
      OnnxMl.NodeProto n = node(nodeName);
      OnnxMl.TensorProto found = null;
      for (String in : n.getInputList()) {
        OnnxMl.TensorProto t = inits.get(in);
        if (t != null && t.getDimsCount() == rank) {
          if (found != null) {
            throw unrecognised("node " + nodeName + " has two initializer inputs");
          }
          found = t;
        }
      }
      if (found == null) {
        throw unrecognised("node " + nodeName + " has no rank-" + rank + " initializer input");
      }
      return found;
    }

    /** A scalar input of a node produced by a Constant node (or a scalar initializer). */
    private float constantInput(String nodeName, int count) {
      OnnxMl.NodeProto n = node(nodeName);
      Float value = null;
      for (String in : n.getInputList()) {
        OnnxMl.TensorProto t = inits.get(in);
        OnnxMl.NodeProto producer = byOutput.get(in);
        if (t == null && producer != null && producer.getOpType().equals("Constant")) {
          t = producer.getAttributeList().stream().filter(a -> a.getName().equals("value")).findFirst()
              .map(OnnxMl.AttributeProto::getT).orElse(null);
        }
        if (t != null && t.getDataType() == OnnxMl.TensorProto.DataType.FLOAT.getNumber()) {
          float[] v = floats(t);
          if (v.length == count) {
            value = v[0];
          }
        }
      }
      if (value == null) {
        throw unrecognised("node " + nodeName + " has no constant scalar float input");
      }
      return value;
    }

    private void put(String name, OnnxMl.TensorProto t) {
      if (t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT.getNumber()) {
        throw unrecognised(name + " (initializer " + t.getName() + ") is not float32 (a quantized export?)");
      }
      if (t.getDataLocation() == OnnxMl.TensorProto.DataLocation.EXTERNAL) {
        throw unrecognised(name + " (initializer " + t.getName() + ") is stored as external data");
      }
      out.put(name, new Tensor(t.getName(), t.getDimsList().stream().mapToLong(Long::longValue).toArray(), floats(t)));
    }

    private static IllegalArgumentException unrecognised(String why) {
      return new IllegalArgumentException("not a recognised BERT ONNX export (HuggingFace optimum/torch.onnx "
          + "structure with /encoder/layer.N/... node names): " + why);
    }
  }

  /** Float values of a tensor stored as raw little-endian bytes or as {@code float_data}. */
  static float[] floats(OnnxMl.TensorProto t) {
    if (!t.getRawData().isEmpty()) {
      float[] v = new float[t.getRawData().size() / 4];
      ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      return v;
    }
    float[] v = new float[t.getFloatDataCount()];
    for (int i = 0; i < v.length; i++) {
      v[i] = t.getFloatData(i);
    }
    return v;
  }
}
