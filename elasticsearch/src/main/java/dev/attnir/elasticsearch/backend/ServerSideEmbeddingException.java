package dev.attnir.elasticsearch.backend;

/**
 * The cluster could not embed queries for {@link ServerSideQueryEmbedder}: no attnir plugin, its model server down or
 * refusing the index. The message names the index and the cluster's reason.
 */
public final class ServerSideEmbeddingException extends RuntimeException {

  ServerSideEmbeddingException(String message, Throwable cause) {
    super(message, cause);
  }
}
