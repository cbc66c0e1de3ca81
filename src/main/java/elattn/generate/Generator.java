package elattn.generate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy and beam-search generation with the semantics of HF transformers 5.x {@code generate}
 * ({@code do_sample=False}), over any {@link StepModel}:
 *
 * <pre>{@code
 * GenerationConfig config = GenerationConfig.fromCheckpoint(dir).toBuilder().numBeams(4).build();
 * GenerationResult out = Generator.generate(model, new Batch(ids, mask), config);
 * }</pre>
 *
 * <p>The model returns, per row, the best candidates of {@code log_softmax(logits)} after the
 * step's constraints; the search adds the running beam scores and decides. Sentences that are done
 * (greedy: EOS; beam: HF's per-sentence stopping rule) leave the live batch: their rows are no
 * longer named in {@link StepModel#next}. The model's batch state is closed when generation ends.
 * See docs/generation.md for the exact semantics.
 */
public final class Generator {
    private static final Logger LOG = LoggerFactory.getLogger(Generator.class);

    private Generator() {
    }

    /**
     * Generates for every sentence of the batch.
     *
     * @throws IllegalArgumentException when the config is invalid for this model (see
     *                                  {@link GenerationConfig#validateFor}) or the batch's lengths exceed
     *                                  {@link StepModel#maxLength()}; nothing has run then
     * @throws IllegalStateException    when the model's logits turn out not to be finite
     */
    public static GenerationResult generate(StepModel model, Batch batch, GenerationConfig config) {
        config.validateFor(model.vocabSize(), model.maxTopK());
        int inputLength = config.encoderDecoder() ? 1 : batch.width();
        config.checkFits(inputLength, model.maxLength());
        GenerationConfig.Lengths lengths = config.lengths(inputLength);
        if (lengths.min() > lengths.max()) {
            LOG.warn("min length {} is larger than max length {}: EOS can only be forced", lengths.min(), lengths.max());
        }
        if (inputLength >= lengths.max()) {
            LOG.warn("input length {} is at least max_length {}: one token is generated", inputLength, lengths.max());
        }
        List<int[]> histories = new ArrayList<>();
        int capacity = Math.max(lengths.max(), inputLength + 1);
        for (int s = 0; s < batch.sentences(); s++) {
            int[] h = new int[capacity];
            if (config.encoderDecoder()) {
                h[0] = config.decoderStart();
            } else {
                System.arraycopy(batch.inputIds()[s], 0, h, 0, inputLength);
            }
            histories.add(h);
        }
        Constraints constraints = new Constraints(config, lengths);
        try {
            return config.numBeams() == 1
                    ? GreedySearch.run(model, batch, config, lengths, constraints, histories)
                    : new BeamSearch(model, config, lengths, constraints).run(batch, histories);
        } finally {
            model.close();
        }
    }

    /**
     * Pads the rows to the longest as HF's output does.
     *
     * @param lengths valid length of each history
     * @param fill    the fill id; may be null only when every row has the same length
     */
    static int[][] padded(List<int[]> histories, int[] lengths, Integer fill) {
        int width = Arrays.stream(lengths).max().orElse(0);
        int[][] out = new int[histories.size()][];
        for (int r = 0; r < out.length; r++) {
            if (lengths[r] < width && fill == null) {
                throw new IllegalStateException("rows of different lengths need a pad_token_id or eos_token_id");
            }
            out[r] = new int[width];
            System.arraycopy(histories.get(r), 0, out[r], 0, lengths[r]);
            if (lengths[r] < width) {
                Arrays.fill(out[r], lengths[r], width, fill);
            }
        }
        return out;
    }

    /** The generated part of each history: from the input length to the valid length. */
    static int[][] generatedPart(List<int[]> histories, int[] lengths, int inputLength) {
        int[][] out = new int[histories.size()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = Arrays.copyOfRange(histories.get(r), inputLength, lengths[r]);
        }
        return out;
    }
}
