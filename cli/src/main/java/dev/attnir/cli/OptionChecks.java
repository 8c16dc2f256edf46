package dev.attnir.cli;

import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Range checks of option values, run on the parsed command line before the command starts, so a value out of range is
 * refused by its option's name before a model loads or an index directory is created (instead of surfacing later as
 * an internal message such as {@code fromIndex(0) > toIndex(-1)} or {@code intraOpThreads must be >= 1}).
 *
 * <p>A command or option block (mixin) with such values implements {@link Checked}; {@link #check(CommandSpec)} walks
 * a command and its mixins, nested ones included, so every command that has an option checks it.
 */
final class OptionChecks {

  private OptionChecks() {}

  /** A command or option block whose values are checked before the command runs. */
  interface Checked {
    /**
     * @throws IllegalArgumentException naming the option, for a value out of range
     */
    void checkOptions();
  }

  /** Checks {@code command}'s object and every mixin under it that is {@link Checked}. */
  static void check(CommandSpec command) {
    if (command.userObject() instanceof Checked c) {
      c.checkOptions();
    }
    for (CommandSpec mixin : command.mixins().values()) {
      check(mixin);
    }
  }

  /** The execution strategy of {@link AttnirCli}: checks the options of the command to run, then runs it. */
  static int checkThenRun(CommandLine.ParseResult parseResult) {
    CommandLine.ParseResult leaf = parseResult;
    while (leaf.hasSubcommand()) {
      leaf = leaf.subcommand();
    }
    if (!leaf.isUsageHelpRequested() && !leaf.isVersionHelpRequested()) {
      try {
        check(leaf.commandSpec());
      } catch (IllegalArgumentException e) {
        leaf.commandSpec().commandLine().getErr().println("error: " + e.getMessage());
        leaf.commandSpec().commandLine().getErr().flush();
        return AttnirCli.EXIT_USAGE;
      }
    }
    return new CommandLine.RunLast().execute(parseResult);
  }

  /** Refuses {@code value} below {@code min}. */
  static void atLeast(String option, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(option + " must be at least " + min + ", got " + value);
    }
  }

  /** Refuses {@code value} outside {@code [min, max]} or not finite. */
  static void between(String option, double value, double min, double max) {
    if (!(value >= min && value <= max)) {
      throw new IllegalArgumentException(option + " must be between " + fmt(min) + " and " + fmt(max) + ", got "
          + fmt(value));
    }
  }

  /** Refuses a negative or non-finite {@code value}. */
  static void nonNegative(String option, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(option + " must be a finite number >= 0, got " + fmt(value));
    }
  }

  private static String fmt(double v) {
    return v == Math.rint(v) && !Double.isInfinite(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%s", v);
  }
}
