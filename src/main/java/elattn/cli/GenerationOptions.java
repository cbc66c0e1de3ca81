package elattn.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import picocli.CommandLine.Option;

/**
 * The generation flags, named after HF {@code generate}'s parameters. Only the flags given are
 * applied ({@code GenerationConfig.withOverrides}); the others keep the checkpoint's
 * {@code generation_config.json} values.
 */
final class GenerationOptions {
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

    private static void put(JsonObject o, String key, Number value) {
        if (value != null) {
            o.addProperty(key, value);
        }
    }
}
