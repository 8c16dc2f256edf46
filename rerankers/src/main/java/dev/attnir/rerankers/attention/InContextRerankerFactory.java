package dev.attnir.rerankers.attention;

import dev.attnir.core.Reranker;
import dev.attnir.core.RerankerFactory;
import dev.attnir.encoders.ModelRegistry;
import dev.attnir.rerankers.FactoryOptions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * {@code --rerank icr[:reader=MODEL][,calibrate=true|false][,mask=true|false][,focus=query|last]
 * [,order=reverse|forward][,max-words=300][,window=4][,stride=2][,max-length=N]}: in-context reranking
 * ({@link InContextReranker}) with a reader opened by {@link AttentionReaders#open}: a built-in encoder, an encoder
 * directory, a shipped trained reranker's fine-tuned encoder, or a causal LM's directory
 * ({@link DecoderModelDirectory}). {@code max-length} defaults to 512 for encoders and to the model's positions for
 * decoders. Unknown options and bad values are refused, naming them.
 *
 * <p>The default window with an encoder, 4 documents per read, lets each of them keep about 110 tokens of its 512
 * positions after a query of up to 50; larger windows cut every passage shorter. With a decoder the default is 20, the
 * paper's setting (the whole BM25 top 20 in one read, as an LLM's context allows); its passages share the model's
 * positions (or {@code max-length}) equally when they do not fit.
 */
public final class InContextRerankerFactory implements RerankerFactory {

  /** The name users select it by. */
  public static final String NAME = "icr";

  /** Passages per read with an encoder's 512 positions (see the class comment). */
  static final int ENCODER_WINDOW = 4;
  /** Passages per read with a decoder: the paper's whole top 20 in one read. */
  static final int DECODER_WINDOW = 20;

  private static final List<String> OPTIONS =
      List.of("reader", "calibrate", "mask", "focus", "order", "max-words", "window", "stride", "max-length");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "in-context attention reranking (ICR) with an encoder or decoder reader: reader=MODEL|DIR, "
        + "calibrate=true|false, mask=true|false, "
        + "focus=query|last, order=reverse|forward, max-words=N, window=N, stride=N, max-length=N";
  }

  @Override
  public Reranker create(Map<String, String> options) {
    FactoryOptions.requireKnown(NAME, options, OPTIONS);
    String readerName = options.getOrDefault("reader", ModelRegistry.DEFAULT_MODEL);
    boolean decoder;
    try {
      decoder = AttentionReaders.isDecoderDirectory(readerName);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("reranker " + NAME + ": reader=" + readerName + ": " + e.getMessage(), e);
    }
    int window = FactoryOptions.integer(NAME, options, "window", decoder ? DECODER_WINDOW : ENCODER_WINDOW, 1);
    InContextReranker.Settings settings = new InContextReranker.Settings(
        FactoryOptions.bool(NAME, options, "calibrate", true),
        switch (options.getOrDefault("focus", "query").toLowerCase(Locale.ROOT)) {
          case "query" -> AttentionReader.Focus.QUERY;
          case "last" -> AttentionReader.Focus.LAST_QUERY_TOKEN;
          default -> throw new IllegalArgumentException("reranker " + NAME + ": focus must be query or last, got '"
              + options.get("focus") + "'");
        },
        switch (options.getOrDefault("order", "reverse").toLowerCase(Locale.ROOT)) {
          case "reverse" -> true;
          case "forward" -> false;
          default -> throw new IllegalArgumentException("reranker " + NAME + ": order must be reverse or forward, "
              + "got '" + options.get("order") + "'");
        },
        FactoryOptions.integer(NAME, options, "max-words", 300, 1), window,
        FactoryOptions.integer(NAME, options, "stride", Math.max(1, window / 2), 1),
        FactoryOptions.bool(NAME, options, "mask", true));
    if (!settings.mask() && !settings.calibrate()) {
      throw new IllegalArgumentException("reranker " + NAME + ": mask=false changes the calibrated score; with "
          + "calibrate=false there is nothing to mask");
    }
    AttentionReader reader;
    try {
      reader = AttentionReaders.open(readerName, maxLength(NAME, options));
    } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
      throw new IllegalArgumentException("reranker " + NAME + ": reader=" + readerName + ": " + e.getMessage(), e);
    }
    try {
      String label = NAME + "-" + reader.name()
          + (settings.calibrate() ? (settings.mask() ? "" : "-nomask") : "-nocalib")
          + (settings.focus() == AttentionReader.Focus.LAST_QUERY_TOKEN ? "-last" : "");
      return new InContextReranker(reader, settings, label, true);
    } catch (RuntimeException e) {
      reader.close();
      throw e;
    }
  }

  /** The {@code max-length} option: empty when not given (the reader's own default). */
  static OptionalInt maxLength(String reranker, Map<String, String> options) {
    return options.containsKey("max-length")
        ? OptionalInt.of(FactoryOptions.integer(reranker, options, "max-length",
            AttentionReaders.ENCODER_DEFAULT_LENGTH, 8))
        : OptionalInt.empty();
  }
}
