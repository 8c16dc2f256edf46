package dev.attnir.rerankers.attention.decoder;

import dev.attnir.rerankers.attention.DecoderReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * llama2.c's tokenizer ({@code tok512.bin}: max token length, then per token a float score, an int length and the
 * bytes) with run.c's {@code encode}: a dummy-prefix space, one token per UTF-8 character (byte fallback: byte + 3),
 * then repeated merges of the adjacent pair whose merged piece scores highest. No BOS/EOS (the reader adds BOS).
 */
final class Llama2cTokenizer implements DecoderReader.Tokens {

  private final List<String> vocab = new ArrayList<>();
  private final float[] scores;
  private final Map<String, Integer> ids = new HashMap<>();

  Llama2cTokenizer(Path file, int vocabSize) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    b.getInt(); // max token length
    scores = new float[vocabSize];
    for (int i = 0; i < vocabSize; i++) {
      scores[i] = b.getFloat();
      byte[] piece = new byte[b.getInt()];
      b.get(piece);
      String s = new String(piece, StandardCharsets.UTF_8);
      vocab.add(s);
      ids.putIfAbsent(s, i);
    }
  }

  @Override
  public long[] encode(String text) {
    List<Integer> tokens = new ArrayList<>();
    if (!text.isEmpty()) {
      tokens.add(ids.get(" "));
    }
    text.codePoints().forEach(cp -> {
      String c = new String(Character.toChars(cp));
      Integer id = ids.get(c);
      if (id != null) {
        tokens.add(id);
      } else {
        for (byte x : c.getBytes(StandardCharsets.UTF_8)) {
          tokens.add((x & 0xff) + 3);
        }
      }
    });
    while (true) {
      float best = -1e10f;
      int bestId = -1;
      int bestIndex = -1;
      for (int i = 0; i + 1 < tokens.size(); i++) {
        Integer id = ids.get(vocab.get(tokens.get(i)) + vocab.get(tokens.get(i + 1)));
        if (id != null && scores[id] > best) {
          best = scores[id];
          bestId = id;
          bestIndex = i;
        }
      }
      if (bestIndex < 0) {
        break;
      }
      tokens.set(bestIndex, bestId);
      tokens.remove(bestIndex + 1);
    }
    return tokens.stream().mapToLong(Integer::longValue).toArray();
  }

  String decode(long[] tokens) {
    StringBuilder s = new StringBuilder();
    for (long t : tokens) {
      s.append(vocab.get((int) t));
    }
    return s.toString();
  }
}
