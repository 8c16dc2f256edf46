package dev.attnir.elasticsearch.backend;

import java.io.IOException;
import java.io.UncheckedIOException;

/** The cluster could not be reached (connection refused or timed out, unknown host); the message names its URL. */
public final class ElasticsearchUnreachableException extends UncheckedIOException {

  ElasticsearchUnreachableException(String message, IOException cause) {
    super(message, cause);
  }
}
