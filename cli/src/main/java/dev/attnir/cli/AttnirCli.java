package dev.attnir.cli;

import dev.attnir.eval.data.InputException;
import dev.attnir.elasticsearch.backend.ElasticsearchUnreachableException;
import dev.attnir.elasticsearch.backend.PartialWriteException;
import dev.attnir.elasticsearch.backend.ServerSideEmbeddingException;
import dev.attnir.indexer.IndexException;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code attnir} command line: index, search and evaluate with attention-aware retrieval. */
@Command(name = "attnir", mixinStandardHelpOptions = true, version = "attnir 0.1.0",
    description = "Attention-aware retrieval and ranking: Lucene passage indexes with ONNX encoders, "
        + "exact (trec_eval) evaluation.",
    subcommands = {IndexCommand.class, SearchCommand.class, EvaluateCommand.class, RescoreCommand.class,
        CompareCommand.class, RegressionCommand.class, SummarizeCommand.class, ComparePoolingsCommand.class,
        DittoSearchCommand.class, TrainPoolingCommand.class, CopyIndexCommand.class, TrainRerankerCommand.class, NqPassagesCommand.class, PositionSetsCommand.class,
        PositionBiasCommand.class, AttentionProfileCommand.class, AttentionReportCommand.class,
        OrderSensitivityCommand.class, ReorderCommand.class, ServeCommand.class, CommandLine.HelpCommand.class})
public final class AttnirCli implements Runnable {

  /** Exit code for bad input, configuration or an unusable index (the message says which). */
  public static final int EXIT_USAGE = 2;
  /** Exit code when the command was right but its environment failed (an unreachable cluster, rejected documents). */
  public static final int EXIT_FAILURE = 1;

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** Builds the command line with error handling that prints one clear line instead of a stack trace. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new AttnirCli());
    cli.setExecutionExceptionHandler((e, cmd, parseResult) -> {
      PrintWriter err = cmd.getErr();
      if (e instanceof InputException || e instanceof IndexException || e instanceof IllegalArgumentException) {
        err.println("error: " + e.getMessage());
        for (Throwable s : e.getSuppressed()) {
          if (s instanceof CliNote) {
            err.println(s.getMessage());
          }
        }
        err.flush();
        return EXIT_USAGE;
      }
      if (e instanceof ElasticsearchUnreachableException || e instanceof PartialWriteException
          || e instanceof ServerSideEmbeddingException) {
        // the environment failed, not the command line: one line, no stack trace, and not the usage exit code
        err.println("error: " + e.getMessage());
        err.flush();
        return EXIT_FAILURE;
      }
      throw e;
    });
    // option ranges are checked before a command runs, so they are named before any model loads
    cli.setExecutionStrategy(OptionChecks::checkThenRun);
    return cli;
  }

  public static void main(String[] args) {
    SimdStatus.describe(); // observe Lucene's vectorization choice before anything else initialises it
    System.exit(commandLine().execute(args));
  }
}
