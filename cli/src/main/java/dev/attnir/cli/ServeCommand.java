package dev.attnir.cli;

import dev.attnir.elasticsearch.backend.ElasticsearchConnection;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code attnir serve}: the loopback model server ({@link ModelServer}) until the process is stopped (SIGTERM or
 * Ctrl-C close the models first).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve embeddings (as an index embeds, or by model and pooling) and reranking over loopback HTTP: "
        + "GET /health, POST /embed, POST /documents, POST /rerank.")
final class ServeCommand implements Callable<Integer> {

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on. Default: "
      + "${DEFAULT-VALUE} (loopback only).")
  String host;

  @Option(names = "--port", defaultValue = "8765", description = "Port; 0 picks a free one. Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(names = "--port-file", paramLabel = "FILE", description = "Write the port here once listening.")
  Path portFile;

  @Option(names = "--threads", defaultValue = "2", description = "Request threads. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--max-models", defaultValue = "4",
      description = "Most embedders and rerankers held at once. Default: ${DEFAULT-VALUE}.")
  int maxModels;

  @Option(names = "--es-api-key", paramLabel = "KEY",
      description = "Elasticsearch API key for indexes named in /embed requests ('backend').")
  String apiKey;

  @Option(names = "--es-user", paramLabel = "USER", description = "Elasticsearch user (basic authentication); the "
      + "password comes from the " + BackendOptions.PASSWORD_ENV + " environment variable.")
  String user;

  @Override
  public Integer call() throws Exception {
    OptionChecks.atLeast("--threads", threads, 1);
    OptionChecks.atLeast("--max-models", maxModels, 1);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
    }
    if (apiKey != null && user != null) {
      throw new IllegalArgumentException("give --es-api-key or --es-user, not both");
    }
    if (user != null && System.getenv(BackendOptions.PASSWORD_ENV) == null) {
      throw new IllegalArgumentException("--es-user " + user + " needs the " + BackendOptions.PASSWORD_ENV
          + " environment variable");
    }
    ElasticsearchConnection.Credentials credentials = apiKey != null
        ? ElasticsearchConnection.Credentials.apiKey(apiKey) : user != null
        ? ElasticsearchConnection.Credentials.basic(user, System.getenv(BackendOptions.PASSWORD_ENV))
        : ElasticsearchConnection.Credentials.none();
    ModelServer server = new ModelServer(host, port, threads, maxModels, credentials);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "attnir-serve-stop"));
    if (portFile != null) {
      // whole or absent: a script polling for the file never reads it half written
      Path tmp = Files.createTempFile(portFile.toAbsolutePath().getParent(), ".port", ".tmp");
      Files.writeString(tmp, Integer.toString(server.port()));
      Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf("attnir serve listening on http://%s:%d (GET /health, POST /embed, POST /documents, POST /rerank)%n", host,
        server.port());
    out.flush();
    stopped.await();
    return 0;
  }
}
