package elattn.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import elattn.generate.GenerationConfig;
import elattn.pipeline.Pipeline;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * The generation flags, named after HF {@code generate}'s parameters. Only the flags given are
 * applied ({@code GenerationConfig.withOverrides}); the others keep the checkpoint's
 * {@code generation_config.json} values. Their values are checked by the library's own validation
 * ({@link Pipeline#validate}) against the opened model, before any work.
 */
final class GenerationOptions {
    /** The flag of each HF parameter that has one, for messages. */
    private static final Map<String, String> FLAGS = Map.of("num_beams", "--num-beams", "length_penalty",
            "--length-penalty", "no_repeat_ngram_size", "--no-repeat-ngram-size", "min_new_tokens", "--min-new-tokens",
            "max_new_tokens", "--max-new-tokens", "min_length", "--min-length", "max_length", "--max-length",
            "early_stopping", "--early-stopping", "num_return_sequences", "--num-return-sequences");
    private static final Pattern NAMES = Pattern.compile("\\b(" + String.join("|", FLAGS.keySet()) + ")\\b");

    @Option(names = "--num-beams", paramLabel = "N", description = "Beam width; 1 = greedy.")
    Integer numBeams;

    @Option(names = "--length-penalty", paramLabel = "X",
            description = "Beam score = sum of log-probabilities / length^X.")
    Double lengthPenalty;

    @Option(names = "--no-repeat-ngram-size", paramLabel = "N", description = "Never repeat an n-gram of this size.")
    Integer noRepeatNgramSize;

    @Option(names = "--min-new-tokens", paramLabel = "N", description = "No EOS before N new tokens.")
    Integer minNewTokens;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "At most N new tokens (wins over --max-length).")
    Integer maxNewTokens;

    @Option(names = "--min-length", paramLabel = "N", description = "No EOS while the sequence is shorter than N.")
    Integer minLength;

    @Option(names = "--max-length", paramLabel = "N", description = "Total length limit, as HF counts it.")
    Integer maxLength;

    @Option(names = "--early-stopping", paramLabel = "true|false|never",
            description = "Beam search stopping rule, as HF's early_stopping.")
    String earlyStopping;

    @Option(names = "--num-return-sequences", paramLabel = "N", description = "Best hypotheses returned per input.")
    Integer numReturnSequences;

    /** The flags given, as HF keyword arguments. */
    JsonObject overrides() {
        JsonObject o = new JsonObject();
        put(o, "num_beams", numBeams);
        put(o, "length_penalty", lengthPenalty);
        put(o, "no_repeat_ngram_size", noRepeatNgramSize);
        put(o, "min_new_tokens", minNewTokens);
        put(o, "max_new_tokens", maxNewTokens);
        put(o, "min_length", minLength);
        put(o, "max_length", maxLength);
        put(o, "num_return_sequences", numReturnSequences);
        if (earlyStopping != null) {
            o.add("early_stopping", switch (earlyStopping) {
                case "true" -> new JsonPrimitive(true);
                case "false" -> new JsonPrimitive(false);
                case "never" -> new JsonPrimitive("never");
                default -> throw new UsageException("--early-stopping takes true, false or never, not '" + earlyStopping + "'");
            });
        }
        return o;
    }

    /**
     * The checkpoint's generation config with these flags applied, validated for {@code pipeline}'s
     * model. A value the model refuses is a bad command line (exit 2) naming the flag; a checkpoint
     * whose own values it refuses (not the flags' doing) is a failed run naming the file.
     */
    GenerationConfig applyTo(Pipeline pipeline, Path folder) {
        GenerationConfig checkpoint = pipeline.generationConfig();
        try {
            return pipeline.validate(checkpoint.withOverrides(overrides()));
        } catch (IllegalArgumentException e) {
            String problem = flagNames(e.getMessage());
            if (problem.equals(checkpointProblem(pipeline, checkpoint))) {
                throw new CliException(folder + ": the checkpoint's generation config: " + problem
                        + " (override it with the flag)");
            }
            throw new UsageException(problem);
        }
    }

    private static String checkpointProblem(Pipeline pipeline, GenerationConfig checkpoint) {
        try {
            pipeline.validate(checkpoint);
            return null;
        } catch (IllegalArgumentException e) {
            return flagNames(e.getMessage());
        }
    }

    /** The message with each HF parameter that has a flag named by its flag ({@code num_beams} -> {@code --num-beams}). */
    static String flagNames(String message) {
        Matcher m = NAMES.matcher(message);
        return m.replaceAll(r -> Matcher.quoteReplacement(FLAGS.get(r.group(1))));
    }

    private static void put(JsonObject o, String key, Number value) {
        if (value != null) {
            o.addProperty(key, value);
        }
    }
}
