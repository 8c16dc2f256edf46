package dev.attnir.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.apache.lucene.util.VectorUtil;

/**
 * Whether Lucene's vector code runs on the Panama vector API (SIMD) in this JVM. Lucene reports its choice once, in a
 * java.util.logging message when its vectorization provider initialises; this captures that message.
 */
public final class SimdStatus {

  private static final String LOGGER = "org.apache.lucene";
  private static volatile String status;

  private SimdStatus() {}

  /** Initialises Lucene's vector code (once) and returns what it reported. */
  public static synchronized String describe() {
    if (status != null) {
      return status;
    }
    Logger logger = Logger.getLogger(LOGGER);
    List<String> messages = new ArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        messages.add(record.getLevel() + ": " + record.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Level previous = logger.getLevel();
    boolean parents = logger.getUseParentHandlers();
    logger.setLevel(Level.ALL);
    logger.setUseParentHandlers(false);
    logger.addHandler(capture);
    try {
      VectorUtil.dotProduct(new float[] {1f}, new float[] {1f});
    } finally {
      logger.removeHandler(capture);
      logger.setLevel(previous);
      logger.setUseParentHandlers(parents);
    }
    String joined = String.join(" | ", messages);
    if (messages.isEmpty()) {
      status = "unknown (Lucene's vector code was initialised before it could be observed)";
    } else if (joined.contains("incubator API enabled")) {
      status = "active (" + joined + ")";
    } else {
      status = "inactive (" + joined + ")";
    }
    return status;
  }
}
