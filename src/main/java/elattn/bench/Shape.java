package elattn.bench;

import elattn.generate.Batch;
import elattn.generate.GenerationConfig;
import elattn.model.Activation;
import elattn.model.ModelConfig;
import elattn.model.ModelFamily;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * One model shape the generation benchmark runs: a {@link ModelConfig} built in code (no
 * checkpoint; {@link RandomWeights} fills it), the input width, the beam count, how many new
 * tokens every sentence gets (exactly: minimum and maximum are both this, as the HF reference's
 * {@code min_new_tokens=max_new_tokens}), and the batches to time.
 *
 * @param name          how reports name the shape ({@code bart-large}, {@code gpt2-medium})
 * @param config        sizes, switches and special token ids
 * @param inputWidth    source tokens of an encoder-decoder, prompt tokens of a decoder-only model
 * @param beams         beam search width
 * @param newTokens     tokens generated per sentence, exactly
 * @param batches       sentences per timed run, in the order they run
 * @param searchLargest whether the benchmark also searches the largest batch that fits the device
 */
public record Shape(String name, ModelConfig config, int inputWidth, int beams, int newTokens, List<Integer> batches,
        boolean searchLargest) {

    public Shape {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(config, "config");
        batches = List.copyOf(batches);
        if (inputWidth < 1 || beams < 1 || newTokens < 1) {
            throw new IllegalArgumentException(name + ": input width, beams and new tokens must be positive, not "
                    + inputWidth + ", " + beams + ", " + newTokens);
        }
        if (batches.stream().anyMatch(b -> b < 1)) {
            throw new IllegalArgumentException(name + ": batches must be positive, not " + batches);
        }
        int positions = config.encoderDecoder() ? Math.max(inputWidth, newTokens + 1) : inputWidth + newTokens;
        if (positions > config.maxPositions()) {
            throw new IllegalArgumentException(name + ": " + positions + " positions needed but the model has "
                    + config.maxPositions());
        }
    }

    /**
     * BART-large as HF's {@code BartConfig()} defaults describe it (the config of
     * {@link Workloads#bartLarge()}): d_model 1024, 12 + 12 layers, 16 heads, FFN 4096, vocab 50265,
     * 1024 positions, GELU; 1024 source tokens, beam 4, 128 new tokens; batches 32, 128 and 256, and
     * the largest that fits.
     */
    public static Shape bartLarge() {
        return new Shape("bart-large", Workloads.bartLarge().config(), 1024, 4, 128, List.of(32, 128, 256), true);
    }

    /**
     * GPT-2 medium as HF's {@code GPT2Config(n_layer=24, n_embd=1024, n_head=16)}: vocab 50257,
     * 1024 positions, FFN 4096, {@code gelu_new}; 512-token prompts, beam 4, 64 new tokens;
     * batches 16 and 64.
     */
    public static Shape gpt2Medium() {
        ModelConfig c = new ModelConfig(ModelFamily.GPT2, 50257, 1024, 0, 24, 0, 16, 0, 4096, 1024,
                Activation.GELU_TANH, 1e-5, false, true, -1, 50256, 50256, -1, -1, -1);
        return new Shape("gpt2-medium", c, 512, 4, 64, List.of(16, 64), false);
    }

    public Shape withBatches(List<Integer> newBatches) {
        return new Shape(name, config, inputWidth, beams, newTokens, newBatches, searchLargest);
    }

    public Shape withNewTokens(int tokens) {
        return new Shape(name, config, inputWidth, beams, tokens, batches, searchLargest);
    }

    public Shape withSearchLargest(boolean search) {
        return new Shape(name, config, inputWidth, beams, newTokens, batches, search);
    }

    /** Decoder steps a generation of {@link #newTokens} takes: the start token or the prompt, then the new tokens. */
    public int maxSteps() {
        return config.encoderDecoder() ? newTokens + 1 : inputWidth + newTokens;
    }

    /**
     * Beam search with exactly {@code tokens} new tokens per sentence and the special ids of the
     * config (HF takes them from the model config; GPT-2 pads with its EOS, as HF does when a model
     * has no pad token).
     */
    public GenerationConfig generation(int tokens) {
        GenerationConfig.Builder b = new GenerationConfig.Builder()
                .encoderDecoder(config.encoderDecoder())
                .numBeams(beams)
                .maxNewTokens(tokens)
                .minNewTokens(tokens)
                .eosTokenIds(config.eosTokenId())
                .padTokenId(config.padTokenId() >= 0 ? config.padTokenId() : config.eosTokenId())
                .maxPositionEmbeddings(config.maxPositions());
        if (config.bosTokenId() >= 0) {
            b.bosTokenId(config.bosTokenId());
        }
        if (config.encoderDecoder()) {
            b.decoderStartTokenId(config.decoderStartTokenId());
        }
        if (config.forcedEosTokenId() >= 0) {
            b.forcedEosTokenId(config.forcedEosTokenId());
        }
        return b.build();
    }

    /**
     * {@code sentences} inputs of {@link #inputWidth} random tokens (no special ids), all real (no
     * padding), the same for a given seed.
     */
    public Batch batch(int sentences, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[][] ids = new int[sentences][];
        int[][] mask = new int[sentences][inputWidth];
        for (int s = 0; s < sentences; s++) {
            ids[s] = randomTokens(random, config, inputWidth);
            Arrays.fill(mask[s], 1);
        }
        return new Batch(ids, mask);
    }

    /** {@code length} random token ids of {@code config}'s vocabulary, none of them 0 to 3 or a special id. */
    static int[] randomTokens(SplittableRandom random, ModelConfig config, int length) {
        int lowest = 4;
        int[] ids = new int[length];
        for (int j = 0; j < length; j++) {
            int t = random.nextInt(lowest, config.vocabSize());
            ids[j] = t == config.eosTokenId() || t == config.padTokenId() || t == config.bosTokenId() ? lowest : t;
        }
        return ids;
    }
}
