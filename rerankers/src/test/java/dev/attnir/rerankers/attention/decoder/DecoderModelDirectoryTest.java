package dev.attnir.rerankers.attention.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import dev.attnir.core.Candidate;
import dev.attnir.rerankers.attention.AttentionReader;
import dev.attnir.rerankers.attention.AttentionReaders;
import dev.attnir.rerankers.attention.AttentionSortingFactory;
import dev.attnir.rerankers.attention.ContextAttention;
import dev.attnir.rerankers.attention.DecoderModelDirectory;
import dev.attnir.rerankers.attention.DecoderReader;
import dev.attnir.rerankers.attention.InContextReranker;
import dev.attnir.rerankers.attention.InContextRerankerFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's causal LM opened from a directory (model.onnx, tokenizer.json, config.json, optional prompt file), proved on
 * the stories260K fixture written as such a directory: its Hugging Face tokenizer.json (converted from llama2.c's
 * tok512.bin) encodes as llama2.c does, and the directory's reader, in the exposed and the fused layout with weights in
 * an external data file, reads what the reader built by hand from the same graph and tokenizer reads; ICR and
 * attention sorting take it as {@code reader=DIR}; bad directories are refused naming the file or field.
 */
class DecoderModelDirectoryTest {

  private static Llama2cModel model;
  private static Llama2cTokenizer llama2c;
  private static byte[] tokenizerJson;

  @TempDir
  static Path temp;

  private static final String QUERY = DecoderReaderTest.QUERY;
  private static final List<String> PASSAGES = DecoderReaderTest.PASSAGES;

  @BeforeAll
  static void load() throws Exception {
    Assumptions.assumeTrue(Files.exists(DecoderFixtureTest.CHECKPOINT), "skipped: the decoder fixture "
        + DecoderFixtureTest.CHECKPOINT + " is absent (../shared; CI has it)");
    model = Llama2cModel.read(DecoderFixtureTest.CHECKPOINT);
    Path tok = DecoderFixtureTest.CHECKPOINT.resolveSibling("tok512.bin");
    llama2c = new Llama2cTokenizer(tok, model.vocab);
    tokenizerJson = Llama2cTokenizerJson.write(tok, model.vocab);
  }

  /** The fixture as a model directory; with {@code external}, every initializer over 1 KB goes to a data file. */
  static Path directory(String name, LlamaOnnxWriter.Variant variant, boolean external) throws Exception {
    Path dir = Files.createDirectories(temp.resolve(name));
    byte[] onnx = LlamaOnnxWriter.write(model, variant);
    if (external) {
      onnx = toExternalData(onnx, dir.resolve("model.onnx_data"));
    }
    Files.write(dir.resolve("model.onnx"), onnx);
    Files.write(dir.resolve("tokenizer.json"), tokenizerJson);
    Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": "
        + "\"llama\", \"bos_token_id\": 1, \"eos_token_id\": 2, \"max_position_embeddings\": " + model.seqLen + "}");
    return dir;
  }

  /** ONNX's external data layout (location, offset, length per tensor), as onnx.save(save_as_external_data=True). */
  private static byte[] toExternalData(byte[] onnx, Path data) throws Exception {
    OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(onnx);
    OnnxMl.GraphProto.Builder g = m.getGraph().toBuilder();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      OnnxMl.TensorProto t = g.getInitializer(i);
      byte[] raw;
      if (t.getFloatDataCount() > 0) {
        ByteBuffer b = ByteBuffer.allocate(t.getFloatDataCount() * 4).order(ByteOrder.LITTLE_ENDIAN);
        t.getFloatDataList().forEach(b::putFloat);
        raw = b.array();
      } else {
        raw = t.getRawData().toByteArray();
      }
      if (raw.length <= 1024) {
        continue;
      }
      long offset = out.size();
      out.write(raw);
      g.setInitializer(i, t.toBuilder().clearFloatData().setRawData(ByteString.EMPTY)
          .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
          .addExternalData(OnnxMl.StringStringEntryProto.newBuilder().setKey("location")
              .setValue(data.getFileName().toString()))
          .addExternalData(OnnxMl.StringStringEntryProto.newBuilder().setKey("offset").setValue(String.valueOf(offset)))
          .addExternalData(OnnxMl.StringStringEntryProto.newBuilder().setKey("length")
              .setValue(String.valueOf(raw.length))));
    }
    Files.write(data, out.toByteArray());
    return m.toBuilder().setGraph(g).build().toByteArray();
  }

  /** The graph with every external data location replaced by {@code location}. */
  private static byte[] relocated(byte[] onnx, String location) throws Exception {
    OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(onnx);
    OnnxMl.GraphProto.Builder g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      OnnxMl.TensorProto.Builder t = g.getInitializer(i).toBuilder();
      for (int j = 0; j < t.getExternalDataCount(); j++) {
        if (t.getExternalData(j).getKey().equals("location")) {
          t.setExternalData(j, t.getExternalData(j).toBuilder().setValue(location));
        }
      }
      g.setInitializer(i, t);
    }
    return m.toBuilder().setGraph(g).build().toByteArray();
  }

  @Test
  void theHuggingFaceTokenizerEncodesAsLlama2c() throws Exception {
    List<String> texts = new ArrayList<>(List.of("", " ", "a", "  two  spaces", "Lily", "\n\n",
        "[1] " + PASSAGES.get(1),
        "Please answer the following question based on the information in the paragraphs above.", "Query:",
        " " + QUERY, "Here are some paragraphs:", "café naïve — “quotes” 12,345.67%", "日本語 and 😀 bytes",
        "tabs\tand\r\nreturns", "ALL CAPS SHOUTING!!!"));
    texts.addAll(PASSAGES);
    // random texts from the vocabulary's own pieces, so many merges compete
    Random random = new Random(3);
    List<String> pieces = new ArrayList<>();
    for (int i = 259; i < model.vocab; i++) {
      pieces.add(llama2c.decode(new long[] {i}));
    }
    for (int t = 0; t < 2_000; t++) {
      StringBuilder s = new StringBuilder();
      int n = 1 + random.nextInt(12);
      for (int i = 0; i < n; i++) {
        s.append(random.nextInt(4) == 0 ? " " : "").append(pieces.get(random.nextInt(pieces.size())));
      }
      texts.add(s.toString());
    }
    int differ = 0;
    String first = null;
    try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson),
        Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "false"))) {
      for (String text : texts) {
        long[] expected = llama2c.encode(text);
        long[] got = hf.encode(text, false, false).getIds();
        if (!java.util.Arrays.equals(expected, got)) {
          differ++;
          if (first == null) {
            first = "'" + text + "': llama2.c " + java.util.Arrays.toString(expected) + ", tokenizer.json "
                + java.util.Arrays.toString(got);
          }
        }
      }
    }
    assertEquals(0, differ, differ + " of " + texts.size() + " texts encode differently, first: " + first);
  }

  @Test
  void aDirectoryReadsWhatTheReaderBuiltByHandReads() throws Exception {
    for (LlamaOnnxWriter.Variant variant : List.of(LlamaOnnxWriter.Variant.EAGER_WITH_PAST,
        LlamaOnnxWriter.Variant.GQA)) {
      Path dir = directory("stories-" + variant, variant, true);
      try (AttentionReader opened = AttentionReaders.open(dir.toString(), OptionalInt.empty());
          DecoderReader byHand = new DecoderReader("by-hand", LlamaOnnxWriter.write(model, variant), llama2c, 1, 0,
              model.seqLen, DecoderReader.Prompt.icrQa(), "test")) {
        DecoderReader reader = (DecoderReader) opened;
        assertEquals(byHand.route(), reader.route(), variant.toString());
        assertTrue(reader.reusesPrefix(), variant + ": the cache of the shared prefix is used");
        assertTrue(reader.identity().contains("/model.onnx_data:"), reader.identity());
        AttentionReader.Context context = new AttentionReader.Context(QUERY, PASSAGES);
        assertArrayEquals(byHand.layout(context).ids(), reader.layout(context).ids());
        for (AttentionReader.Focus focus : AttentionReader.Focus.values()) {
          ContextAttention expected = byHand.read(List.of(context), focus).get(0);
          ContextAttention got = reader.read(List.of(context), focus).get(0);
          assertEquals(expected.slots(), got.slots());
          for (int slot = 0; slot < expected.slots(); slot++) {
            assertArrayEquals(expected.tokens().get(slot), got.tokens().get(slot), 1e-6f, variant + " " + focus);
          }
        }
      }
    }
  }

  @Test
  void icrAndAttentionSortingTakeTheDirectoryAsReader() throws Exception {
    Path dir = directory("stories-eager", LlamaOnnxWriter.Variant.EAGER, false);
    List<Candidate> candidates = List.of(new Candidate("tom", 1, 3, 0, 0, 1, PASSAGES.get(0)),
        new Candidate("lily", 2, 2, 0, 0, 1, PASSAGES.get(1)), new Candidate("sun", 3, 1, 0, 0, 1, PASSAGES.get(2)));
    try (var fromDirectory = (InContextReranker) new InContextRerankerFactory().create(Map.of("reader",
        dir.toString()));
        DecoderReader byHand = new DecoderReader("by-hand", LlamaOnnxWriter.write(model), llama2c, 1, 0,
            model.seqLen, DecoderReader.Prompt.icrQa(), "test")) {
      var expected = new InContextReranker(byHand, InContextReranker.Settings.recipe(4), "icr", false)
          .rerank(QUERY, candidates);
      assertEquals(20, fromDirectory.settings().window(), "a decoder reads the paper's top 20 at once by default");
      var got = fromDirectory.rerank(QUERY, candidates);
      assertEquals(expected.docs().stream().map(d -> d.docId()).toList(),
          got.docs().stream().map(d -> d.docId()).toList());
      for (int i = 0; i < expected.size(); i++) {
        assertEquals(expected.docs().get(i).score(), got.docs().get(i).score(), 1e-6);
      }
    }
    try (var sorting = (dev.attnir.rerankers.attention.AttentionSorting) new AttentionSortingFactory().create(
        Map.of("reader", dir.toString(), "rounds", "2"))) {
      assertEquals(3, sorting.rerank(QUERY, candidates).size());
    }
    var tooLong = assertThrows(IllegalArgumentException.class, () -> new InContextRerankerFactory().create(
        Map.of("reader", dir.toString(), "max-length", String.valueOf(model.seqLen + 1))));
    assertTrue(tooLong.getMessage().contains("max_position_embeddings"), tooLong.getMessage());
  }

  /**
   * Leaves the fixture as a model directory in {@code target/stories260K-onnx}, for trying the CLI on a decoder
   * ({@code --rerank icr:reader=rerankers/target/stories260K-onnx}, README), and checks that it opens.
   */
  @Test
  void theFixtureDirectoryIsLeftForTheCli() throws Exception {
    Path source = directory("stories-cli", LlamaOnnxWriter.Variant.EAGER_WITH_PAST, false);
    Path target = Files.createDirectories(Path.of("target/stories260K-onnx"));
    for (String file : List.of("model.onnx", "tokenizer.json", "config.json")) {
      Files.copy(source.resolve(file), target.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    try (AttentionReader r = AttentionReaders.open(target.toString(), OptionalInt.empty())) {
      assertTrue(r.identity().startsWith("decoder:stories260K-onnx,"), r.identity());
    }
  }

  @Test
  void aPromptFileChangesThePromptAndTheIdentity() throws Exception {
    Path dir = directory("stories-prompt", LlamaOnnxWriter.Variant.EAGER, false);
    String before;
    try (AttentionReader r = AttentionReaders.open(dir.toString(), OptionalInt.empty())) {
      before = r.identity();
    }
    Files.writeString(dir.resolve(DecoderModelDirectory.PROMPT_FILE), "{\"instruction\": \" Read these stories:\", "
        + "\"query_label\": \"Question:\"}");
    try (DecoderReader r = DecoderModelDirectory.open(dir, OptionalInt.of(256))) {
      assertNotEquals(before, r.identity());
      assertTrue(r.identity().contains("max-positions=256"), r.identity());
      var layout = r.layout(new AttentionReader.Context(QUERY, PASSAGES));
      String text = llama2c.decode(layout.ids());
      assertTrue(text.contains("Read these stories:") && text.contains("Question:") && !text.contains("Query:"),
          text);
    }
  }

  @Test
  void badDirectoriesAreRefusedNamingTheFileOrField() throws Exception {
    Path dir = directory("stories-bad", LlamaOnnxWriter.Variant.EAGER, false);
    Files.writeString(dir.resolve(DecoderModelDirectory.PROMPT_FILE), "{\"instructions\": \"x\"}");
    var unknownKey = assertThrows(IllegalArgumentException.class,
        () -> DecoderModelDirectory.open(dir, OptionalInt.empty()));
    assertTrue(unknownKey.getMessage().contains("attnir-prompt.json") && unknownKey.getMessage().contains(
        "[instructions]"), unknownKey.getMessage());
    Files.delete(dir.resolve(DecoderModelDirectory.PROMPT_FILE));

    Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"eos_token_id\": 2, "
        + "\"max_position_embeddings\": 512}");
    var noBos = assertThrows(IllegalArgumentException.class,
        () -> DecoderModelDirectory.open(dir, OptionalInt.empty()));
    assertTrue(noBos.getMessage().contains("config.json") && noBos.getMessage().contains("bos_token_id"),
        noBos.getMessage());

    // several end tokens, no pad token (Llama 3's config): the first end token pads
    Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"bos_token_id\": 1, "
        + "\"eos_token_id\": [2, 0], \"max_position_embeddings\": 512}");
    DecoderModelDirectory.open(dir, OptionalInt.empty()).close();

    Files.delete(dir.resolve("tokenizer.json"));
    var noTokenizer = assertThrows(IllegalArgumentException.class,
        () -> DecoderModelDirectory.open(dir, OptionalInt.empty()));
    assertTrue(noTokenizer.getMessage().contains("has no tokenizer.json"), noTokenizer.getMessage());

    // a pad id of -1 means none: the first end token pads
    Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"bos_token_id\": 1, "
        + "\"pad_token_id\": -1, \"eos_token_id\": 2, \"max_position_embeddings\": 512}");
    Files.write(dir.resolve("tokenizer.json"), tokenizerJson);
    DecoderModelDirectory.open(dir, OptionalInt.empty()).close();
    var tooFew = assertThrows(IllegalArgumentException.class, () -> DecoderModelDirectory.open(dir, OptionalInt.of(0)));
    assertTrue(tooFew.getMessage().contains("at least 8"), tooFew.getMessage());

    // a graph with external data, handed over without its folder, says where to open it from
    Path external = directory("stories-external", LlamaOnnxWriter.Variant.EAGER, true);
    var noFolder = assertThrows(IllegalArgumentException.class, () -> new DecoderReader("x",
        Files.readAllBytes(external.resolve("model.onnx")), llama2c, 1, 0, 512, DecoderReader.Prompt.icrQa(), "t"));
    assertTrue(noFolder.getMessage().contains("external data"), noFolder.getMessage());
    // an external data location outside the model's folder, directly or through a link, is refused
    byte[] graph = Files.readAllBytes(external.resolve("model.onnx"));
    Path outside = Files.write(temp.resolve("outside.data"), Files.readAllBytes(external.resolve("model.onnx_data")));
    for (String location : List.of("../outside.data", "link.data")) {
      Path escaping = Files.createDirectories(temp.resolve("stories-escape-" + location.length()));
      for (String file : List.of("tokenizer.json", "config.json")) {
        Files.copy(external.resolve(file), escaping.resolve(file));
      }
      if (location.equals("link.data")) {
        Files.createSymbolicLink(escaping.resolve("link.data"), outside);
      }
      Files.write(escaping.resolve("model.onnx"), relocated(graph, location));
      var e = assertThrows(IllegalArgumentException.class,
          () -> DecoderModelDirectory.open(escaping, OptionalInt.empty()));
      assertTrue(e.getMessage().contains("is outside"), location + ": " + e.getMessage());
    }
  }
}
