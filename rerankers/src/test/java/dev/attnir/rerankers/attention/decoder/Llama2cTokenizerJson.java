package dev.attnir.rerankers.attention.decoder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes llama2.c's {@code tok512.bin} as a Hugging Face {@code tokenizer.json}, the way transformers converts a
 * SentencePiece BPE model for Llama ({@code LlamaConverter}): pieces with {@code ▁} for spaces, the normalizer
 * prepending {@code ▁} and replacing spaces, byte fallback, and merges derived from the vocabulary as
 * {@code SentencePieceExtractor} does: every split of a piece into two pieces of the vocabulary, ranked by the merged
 * piece's score (highest first). llama2.c's encoder merges the adjacent pair whose merged piece scores highest, so
 * both encode alike; {@code DecoderModelDirectoryTest} checks it on many texts.
 */
final class Llama2cTokenizerJson {

  private Llama2cTokenizerJson() {}

  static byte[] write(Path tok512, int vocabSize) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(tok512)).order(ByteOrder.LITTLE_ENDIAN);
    b.getInt(); // max token length
    List<String> pieces = new ArrayList<>();
    float[] scores = new float[vocabSize];
    for (int i = 0; i < vocabSize; i++) {
      scores[i] = b.getFloat();
      byte[] piece = new byte[b.getInt()];
      b.get(piece);
      pieces.add(new String(piece, StandardCharsets.UTF_8));
    }
    // llama2.c's export wrote BOS and EOS as "\n<s>\n" and "\n</s>\n" and spaces for SentencePiece's ▁
    pieces.set(0, "<unk>");
    pieces.set(1, "<s>");
    pieces.set(2, "</s>");
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (int i = 0; i < vocabSize; i++) {
      String piece = i < 3 ? pieces.get(i) : pieces.get(i).replace(' ', '\u2581');
      if (vocab.putIfAbsent(piece, i) != null) {
        throw new IllegalStateException("piece " + piece + " twice in " + tok512);
      }
    }
    record Merge(String left, String right, float score, int leftId, int rightId) {}
    List<Merge> merges = new ArrayList<>();
    for (Map.Entry<String, Integer> e : vocab.entrySet()) {
      String piece = e.getKey();
      if (e.getValue() < 259) { // specials and byte tokens are never merged into
        continue;
      }
      List<Merge> local = new ArrayList<>();
      for (int cut = 1; cut < piece.length(); cut++) {
        String left = piece.substring(0, cut);
        String right = piece.substring(cut);
        Integer l = vocab.get(left);
        Integer r = vocab.get(right);
        if (l != null && r != null && l >= 259 && r >= 259) {
          local.add(new Merge(left, right, scores[e.getValue()], l, r));
        }
      }
      local.sort(Comparator.comparingInt(Merge::leftId).thenComparingInt(Merge::rightId));
      merges.addAll(local);
    }
    merges.sort(Comparator.comparingDouble((Merge m) -> -m.score())); // stable: ties keep the order above

    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int i = 0; i < 3; i++) {
      added.addObject().put("id", i).put("content", pieces.get(i)).put("single_word", false).put("lstrip", false)
          .put("rstrip", false).put("normalized", false).put("special", true);
    }
    ObjectNode normalizer = root.putObject("normalizer").put("type", "Sequence");
    ArrayNode steps = normalizer.putArray("normalizers");
    steps.addObject().put("type", "Prepend").put("prepend", "\u2581");
    ObjectNode replace = steps.addObject().put("type", "Replace");
    replace.putObject("pattern").put("String", " ");
    replace.put("content", "\u2581");
    root.putNull("pre_tokenizer");
    root.putNull("post_processor");
    ObjectNode decoder = root.putObject("decoder").put("type", "Sequence");
    ArrayNode decoders = decoder.putArray("decoders");
    ObjectNode space = decoders.addObject().put("type", "Replace");
    space.putObject("pattern").put("String", "\u2581");
    space.put("content", " ");
    decoders.addObject().put("type", "ByteFallback");
    decoders.addObject().put("type", "Fuse");
    decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
    ObjectNode model = root.putObject("model").put("type", "BPE");
    model.putNull("dropout");
    model.put("unk_token", "<unk>");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", true).put("byte_fallback", true);
    ObjectNode v = model.putObject("vocab");
    vocab.forEach(v::put);
    ArrayNode m = model.putArray("merges");
    merges.forEach(x -> m.add(x.left() + " " + x.right()));
    return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
  }
}
