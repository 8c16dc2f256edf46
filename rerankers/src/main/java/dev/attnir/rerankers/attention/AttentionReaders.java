package dev.attnir.rerankers.attention;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/** Opens a reader by what users type after {@code reader=} or {@code --reader}. */
public final class AttentionReaders {

  /** Positions an encoder reader gets when none are asked for. */
  public static final int ENCODER_DEFAULT_LENGTH = 512;

  private AttentionReaders() {}

  /**
   * A decoder model directory ({@link DecoderModelDirectory}: a {@code config.json} naming a {@code *ForCausalLM}
   * architecture) as a {@link DecoderReader}; anything else (a built-in encoder, an encoder directory, a shipped
   * trained reranker's encoder) as an {@link EncoderReader}.
   *
   * @param maxLength positions to read; empty for 512 (encoders) or the model's {@code max_position_embeddings}
   *     (decoders)
   */
  public static AttentionReader open(String nameOrDir, OptionalInt maxLength) {
    if (isDecoderDirectory(nameOrDir)) {
      return DecoderModelDirectory.open(Path.of(nameOrDir), maxLength);
    }
    return EncoderReader.open(nameOrDir, maxLength.orElse(ENCODER_DEFAULT_LENGTH));
  }

  /** Whether {@code nameOrDir} is a causal LM's directory, which {@link #open} reads as a decoder. */
  public static boolean isDecoderDirectory(String nameOrDir) {
    Path dir;
    try {
      dir = Path.of(nameOrDir);
    } catch (java.nio.file.InvalidPathException e) {
      return false;
    }
    return Files.isDirectory(dir) && DecoderModelDirectory.isDecoder(dir);
  }
}
