package elattn.bench;

import com.google.gson.JsonObject;
import elattn.generate.GenerationConfig;
import elattn.model.ModelConfig;
import elattn.model.ModelFamily;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * One job of the workloads benchmark ({@link Workloads}): a model, its inputs and how they are
 * generated, defined so that {@code elattn bench --workload} and the HF transformers script
 * ({@code benchmarks/hf_workloads.py}, which reads {@link #toJson()} and the inputs the command
 * exports) run exactly the same job. The model is either a checkpoint (run as a user runs it) or an
 * HF {@code config.json} filled with seeded random weights ({@link RandomWeights}: speed does not
 * depend on the values, and every new token is forced).
 *
 * @param name        how commands and reports name it ({@code marian-opus})
 * @param description one line saying what it stands for
 * @param checkpoint  the embedded model it runs ({@code debian-bart}), or null for {@code hfConfig}
 * @param hfConfig    the HF {@code config.json} of the random-weight model, or null for {@code checkpoint}
 * @param inputs      where the inputs come from
 * @param inputWidth  tokens of every input ({@link Inputs#RANDOM}; 0 otherwise)
 * @param records     inputs ({@link Inputs#RANDOM}; 0 otherwise: every record of the Debian test split)
 * @param batchSize   inputs generated together, in input order, as {@code --batch-size}
 * @param generation  HF {@code generate} keyword arguments applied to the config's generation
 *                    defaults (empty for a checkpoint: its {@code generation_config.json} holds them)
 * @param seed        random weights and random token ids
 */
public record Workload(String name, String description, String checkpoint, JsonObject hfConfig, Inputs inputs,
        int inputWidth, int records, int batchSize, JsonObject generation, long seed) {

    /** Standard deviation of the random weights: HF's {@code init_std} / {@code initializer_range}. */
    public static final double INIT_STD = 0.02;

    /** Where a workload's inputs come from. */
    public enum Inputs {
        /**
         * The descriptions of the Debian test split as texts (field {@code description} of the
         * records whose {@code split} is {@code test}), tokenized by the checkpoint's tokenizer and cut to
         * its positions ({@code --truncate}), as {@code elattn summarize --input} reads them.
         */
        DEBIAN_TEXTS,
        /**
         * Random token ids with the lengths of the Debian test split's descriptions as the shipped
         * {@code debian-bart} tokenizer counts them (at most the model's positions): the real spread
         * of lengths, in the file's order.
         */
        DEBIAN_LENGTHS,
        /** {@code records} inputs of {@code inputWidth} random token ids. */
        RANDOM
    }

    public Workload {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(inputs, "inputs");
        if ((checkpoint == null) == (hfConfig == null)) {
            throw new IllegalArgumentException(name + ": give either a checkpoint or an HF config");
        }
        if (checkpoint != null && inputs != Inputs.DEBIAN_TEXTS) {
            throw new IllegalArgumentException(name + ": a checkpoint reads the Debian texts");
        }
        if (hfConfig != null && inputs == Inputs.DEBIAN_TEXTS) {
            throw new IllegalArgumentException(name + ": random weights have no tokenizer for texts");
        }
        if (inputs == Inputs.RANDOM ? inputWidth < 1 || records < 1 : inputWidth != 0 || records != 0) {
            throw new IllegalArgumentException(name + ": random inputs need a width and a count, others neither");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException(name + ": batch size must be positive, not " + batchSize);
        }
        hfConfig = hfConfig == null ? null : hfConfig.deepCopy();
        generation = generation.deepCopy();
    }

    /** Whether the model is a checkpoint rather than random weights. */
    public boolean fromCheckpoint() {
        return checkpoint != null;
    }

    /** Whether the inputs come from the Debian data file. */
    public boolean readsDebianData() {
        return inputs != Inputs.RANDOM;
    }

    /** The random-weight model's config, parsed as a checkpoint's {@code config.json} would be. */
    public ModelConfig config() {
        requireRandom();
        return ModelConfig.parse(hfConfig, Path.of(name + ".json"));
    }

    /** The random-weight model's generation settings: the config's generation defaults with {@link #generation} applied. */
    public GenerationConfig generationConfig() {
        requireRandom();
        return GenerationConfig.fromJson(null, hfConfig).withOverrides(generation);
    }

    /** Whether HF + EL (benchmarks/hf_baseline.py's patch of BART's cross-attention) applies: a BART model. */
    public boolean bartFamily() {
        return checkpoint != null || config().family() == ModelFamily.BART;
    }

    private void requireRandom() {
        if (checkpoint != null) {
            throw new IllegalStateException(name + " runs the checkpoint " + checkpoint + ", not random weights");
        }
    }

    /**
     * The random inputs' token ids, the same for the same seed: {@link Inputs#RANDOM}'s fixed-width
     * ones, or for {@link Inputs#DEBIAN_LENGTHS} one per length of {@code debianLengths} (cut to the
     * model's positions).
     */
    public List<int[]> randomInputs(List<Integer> debianLengths) {
        ModelConfig config = config();
        SplittableRandom random = new SplittableRandom(seed);
        List<int[]> ids = new ArrayList<>();
        if (inputs == Inputs.RANDOM) {
            for (int r = 0; r < records; r++) {
                ids.add(Shape.randomTokens(random, config, inputWidth));
            }
        } else {
            for (int length : debianLengths) {
                ids.add(Shape.randomTokens(random, config, Math.min(length, config.maxPositions())));
            }
        }
        return ids;
    }

    /** The definition as JSON, for reports and for the HF script. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("workload", name);
        o.addProperty("description", description);
        JsonObject model = new JsonObject();
        if (checkpoint != null) {
            model.addProperty("checkpoint", checkpoint);
        } else {
            model.add("config", hfConfig.deepCopy());
            model.addProperty("seed", seed);
            model.addProperty("init_std", INIT_STD);
        }
        o.add("model", model);
        o.addProperty("inputs", inputs.name().toLowerCase(Locale.ROOT));
        if (inputs == Inputs.RANDOM) {
            o.addProperty("input_width", inputWidth);
        }
        o.addProperty("batch_size", batchSize);
        o.add("generation_overrides", generation.deepCopy());
        o.addProperty("bart_family", bartFamily());
        return o;
    }
}
