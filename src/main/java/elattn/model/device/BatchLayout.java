package elattn.model.device;

import elattn.generate.Batch;
import elattn.model.ModelConfig;
import java.util.Arrays;

/**
 * The shapes of one generation on the device, fixed when a batch starts: how many rows each step
 * may have, where each step's slots are in the history caches, and the small per-sentence tables
 * (key masks, positions, source keys) that go to the device once.
 *
 * <p>Rows: the search starts with {@code startRowsPerSentence} rows per sentence (beam search may
 * start with one, since all beams are alike until the first choice) and may grow to
 * {@code beams} rows per sentence through the parents of later steps.
 *
 * <p>Decoder steps: an encoder-decoder starts at step 0 with the decoder start token. A
 * decoder-only model reads its (left-padded) prompt as steps {@code 0 .. promptWidth - 1}, the
 * last of which is scored. In EL mode all but that last prompt step run one row per sentence, so
 * the prompt's states are stored once per sentence and every beam reaches them through the
 * ancestry table; in MHA mode every prompt step runs the rows the search started with (HF expands
 * the input to {@code batch * beams} before reading the prompt when it starts that way).
 *
 * <p>Capacity: a layout may be larger than its batch ({@link Capacity}): its arrays, graphs and
 * built kernels are sized for {@code sentences} sentences of a width of input tokens, and a batch
 * of at most that width (and, for an encoder-decoder, at most that many sentences) runs in them,
 * its inputs padded with masked positions ({@link Capacity#pad}: on the right of a source, on the
 * left of a prompt), which change no real row's result (a masked key adds nothing to any sum, and
 * a prompt's positions count its real tokens only), and the sentences past its own left idle. So
 * batches of real inputs, whose lengths vary, reuse one plan instead of building one per shape
 * ({@link #canHost}). A prompt's padding takes decoder steps: it is bounded by the steps the
 * generation leaves free ({@code room}).
 */
final class BatchLayout {
    /** The sentences and input width (source or prompt) a layout's arrays are sized for. */
    record Capacity(int sentences, int width) {
        /**
         * The capacity a new plan for {@code batch} gets: its sentences and its width rounded up
         * ({@link #roundedWidth}) so that batches of nearby widths share it; a prompt is rounded only
         * as far as {@code room} allows.
         *
         * @param room decoder steps a decoder-only model's plan has beyond the prompt's own
         *             ({@code maxSteps} less the prompt width and the generation's steps), or a
         *             negative number when not known (no padding then)
         */
        static Capacity of(ModelConfig config, Batch batch, int room) {
            int width = batch.width();
            int rounded = roundedWidth(width);
            if (config.encoderDecoder()) {
                width = Math.max(width, Math.min(rounded, config.maxPositions()));
            } else if (room >= rounded - width) {
                width = rounded;
            }
            return new Capacity(batch.sentences(), width);
        }

        /**
         * {@code batch} padded to this width with masked positions: a source on the right, a
         * prompt on the left (as HF pads each), with {@code pad} as the token.
         */
        Batch pad(Batch batch, boolean left, int pad) {
            if (batch.width() == width) {
                return batch;
            }
            int[][] ids = new int[batch.sentences()][width];
            int[][] mask = new int[batch.sentences()][width];
            int offset = left ? width - batch.width() : 0;
            for (int s = 0; s < ids.length; s++) {
                Arrays.fill(ids[s], pad);
                System.arraycopy(batch.inputIds()[s], 0, ids[s], offset, batch.width());
                System.arraycopy(batch.attentionMask()[s], 0, mask[s], offset, batch.width());
            }
            return new Batch(ids, mask);
        }

        /** A width rounded up to a multiple of 8 up to 64 tokens, 16 up to 128, then 32: at most 1/4 padding past 32. */
        static int roundedWidth(int width) {
            int step = width <= 64 ? 8 : width <= 128 ? 16 : 32;
            return (width + step - 1) / step * step;
        }
    }

    final ModelConfig config;
    final AttentionMode mode;
    /** Sentences the arrays are sized for (the capacity); the batch running has {@link #batchSentences}. */
    final int sentences;
    /** Sentences of the batch this layout was made for, at most {@link #sentences}. */
    final int batchSentences;
    /** Rows per sentence of the first scored step. */
    final int startRowsPerSentence;
    /** Rows per sentence of the widest step, and the copies of the encoder output MHA keeps. */
    final int beams;
    /** Rows of the first scored step: sentences x startRowsPerSentence. */
    final int startRows;
    /** Rows of the widest step: sentences x beams. */
    final int maxRows;
    /** Encoder input width (padded), or 0 for a decoder-only model. */
    final int srcWidth;
    /** Sentences per encoder run (the last run may have fewer), or 0 for a decoder-only model. */
    final int chunkSentences;
    /** Decoder-only prompt width (padded), or 0 for an encoder-decoder. */
    final int promptWidth;
    /** Decoder steps the history holds, prompt steps included. */
    final int maxSteps;
    /** First history slot of each step; a step's rows occupy consecutive slots. */
    final int[] stepOffsets;
    /** History slots of all steps. */
    final int slots;
    /**
     * Row stride of the self-attention key table and score rows: {@link #maxSteps} rounded up to a
     * multiple of 4, so that score rows start 16-byte aligned (the tensor-core row pair copies
     * probabilities 4 at a time: {@code TensorCoreAttention.copiesAligned}).
     */
    final int selfKeyStride;
    /** Row stride of the attention score buffer: the longest key list. */
    final int keyStride;

    /** Per sentence and step: 1 where the step's state is a key (not a prompt pad). */
    final int[] keyMask;
    /** Per sentence and step: the row of the position table the step's token reads. */
    final int[] positionTable;
    /** Encoder: tokens, position-table rows and key slots (or -1) of every source position of the batch. */
    final int[] srcTokens;
    final int[] srcPositions;
    final int[] srcKeys;
    /** MHA cross-attention: key slots of every source position of each beam's copy (sentence * beams + beam). */
    final int[] crossKeys;

    /**
     * Decoder-only, pre-norm: the prompt steps before the scored one, read in one pass by the prefill
     * graph ({@link PrefillGraph}), or 0 where the prompt is read step by step.
     */
    final int prefillSteps;
    /** Rows of each prefill step ({@link #rowsAt} of a prompt step). */
    final int prefillRowsPerStep;
    /**
     * Per prefill row, sentence-major and latest step first ({@code i = r * prefillSteps +
     * (prefillSteps - 1 - t)}: row r of prompt step t), so that a prompt row's rows are consecutive
     * and the first of any run of them has the longest key list, which holds every later one's: the
     * tiled attention kernels stage the keys of a block's first row once for all its rows. Per row:
     * token, position-table row, history slot, and the causal key list ({@code prefillSteps}
     * entries: the prefill rows of the same prompt row at steps {@code <= t} that are not prompt
     * pads, else -1).
     */
    final int[] prefillTokens;
    final int[] prefillPositions;
    final int[] prefillSlots;
    final int[] prefillKeys;

    /**
     * @param chunkLimit the most sentences per encoder run, or 0 for the budget's choice
     *                   ({@link DeviceModel#encoderChunkSentences})
     * @param capacity   what the arrays are sized for: the batch's width ({@link Capacity#pad padded}
     *                   to it), at least its sentences, and for a decoder-only model exactly them
     */
    BatchLayout(ModelConfig config, AttentionMode mode, Batch batch, int startRowsPerSentence, int beams,
            int maxSteps, int chunkLimit, Capacity capacity) {
        this.config = config;
        this.mode = mode;
        boolean encoderDecoder = config.encoderDecoder();
        if (capacity.sentences() < batch.sentences() || capacity.width() != batch.width()
                || !encoderDecoder && capacity.sentences() != batch.sentences()) {
            throw new IllegalArgumentException("a batch of " + batch.sentences() + " x " + batch.width()
                    + " does not fit a layout of " + capacity);
        }
        this.sentences = capacity.sentences();
        this.batchSentences = batch.sentences();
        this.startRowsPerSentence = startRowsPerSentence;
        this.beams = Math.max(beams, startRowsPerSentence);
        this.startRows = sentences * startRowsPerSentence;
        this.maxRows = sentences * this.beams;
        this.srcWidth = encoderDecoder ? capacity.width() : 0;
        this.promptWidth = encoderDecoder ? 0 : batch.width();
        this.chunkSentences = !encoderDecoder ? 0
                : chunkLimit > 0 ? Math.min(chunkLimit, sentences)
                : DeviceModel.encoderChunkSentences(config, srcWidth, sentences);
        this.maxSteps = maxSteps;
        int neededSteps = encoderDecoder ? 1 : promptWidth;
        if (neededSteps > maxSteps) {
            throw new IllegalArgumentException("the prompt is " + promptWidth + " tokens wide but the model holds at most "
                    + maxSteps + " decoder steps; raise maxSteps (at most the model's " + config.maxPositions()
                    + " positions) or shorten the prompt");
        }
        if (srcWidth > config.maxPositions()) {
            throw new IllegalArgumentException("the input is " + srcWidth + " tokens wide but the model has only "
                    + config.maxPositions() + " positions");
        }
        this.stepOffsets = new int[maxSteps];
        int offset = 0;
        for (int t = 0; t < maxSteps; t++) {
            stepOffsets[t] = offset;
            offset += rowsAt(t);
        }
        this.slots = offset;
        this.selfKeyStride = (maxSteps + 3) / 4 * 4;
        this.keyStride = Math.max(srcWidth, selfKeyStride);

        keyMask = new int[sentences * maxSteps];
        positionTable = new int[sentences * maxSteps];
        int posOffset = config.positionOffset();
        for (int s = 0; s < batchSentences; s++) {
            int[] mask = batch.attentionMask()[s];
            int seen = 0;
            for (int t = 0; t < maxSteps; t++) {
                boolean prompt = t < promptWidth;
                boolean real = !prompt || mask[t] != 0;
                keyMask[s * maxSteps + t] = real ? 1 : 0;
                // GPT-2: cumsum(mask) - 1 over the prompt, continued by the generated tokens; pads read row 0.
                int position = encoderDecoder ? t : (real ? seen : 0);
                seen += real ? 1 : 0;
                positionTable[s * maxSteps + t] = position + posOffset;
            }
        }

        int srcRows = sentences * srcWidth;
        srcTokens = new int[srcRows];
        srcPositions = new int[srcRows];
        srcKeys = new int[srcRows];
        for (int s = 0; s < batchSentences && encoderDecoder; s++) {
            for (int j = 0; j < srcWidth; j++) {
                int i = s * srcWidth + j;
                srcTokens[i] = batch.inputIds()[s][j];
                srcPositions[i] = j + posOffset;
                srcKeys[i] = batch.attentionMask()[s][j] != 0 ? i : -1;
            }
        }
        prefillSteps = !encoderDecoder && config.preNorm() ? promptWidth - 1 : 0;
        prefillRowsPerStep = prefillSteps > 0 ? rowsAt(0) : 0;
        int prefillRows = prefillSteps * prefillRowsPerStep;
        prefillTokens = new int[prefillRows];
        prefillPositions = new int[prefillRows];
        prefillSlots = new int[prefillRows];
        prefillKeys = new int[Buffers.size(prefillRows, prefillSteps)];
        for (int r = 0; r < prefillRowsPerStep; r++) {
            int s = prefillRowsPerStep == sentences ? r : r / startRowsPerSentence;
            for (int t = 0; t < prefillSteps; t++) {
                int i = r * prefillSteps + (prefillSteps - 1 - t);
                prefillTokens[i] = Math.max(0, batch.inputIds()[s][t]);
                prefillPositions[i] = positionTable[s * maxSteps + t];
                prefillSlots[i] = stepOffsets[t] + r;
                for (int j = 0; j < prefillSteps; j++) {
                    prefillKeys[i * prefillSteps + j] = j <= t && keyMask[s * maxSteps + j] != 0
                            ? r * prefillSteps + (prefillSteps - 1 - j) : -1;
                }
            }
        }
        crossKeys = new int[mode == AttentionMode.MHA ? maxRows * srcWidth : 0];
        for (int copy = 0; copy < batchSentences * beams && crossKeys.length > 0; copy++) {
            int s = copy / beams;
            for (int j = 0; j < srcWidth; j++) {
                crossKeys[copy * srcWidth + j] = batch.attentionMask()[s][j] != 0 ? copy * srcWidth + j : -1;
            }
        }
    }

    /** What this layout's arrays are sized for. */
    Capacity capacity() {
        return new Capacity(sentences, config.encoderDecoder() ? srcWidth : promptWidth);
    }

    /**
     * Whether a batch can run in this layout's device arrays, graphs and built kernels: the same
     * rows per sentence and steps, at most its sentences (a decoder-only model: as many), and a
     * width that fits and does not leave more than half of a {@linkplain Capacity#roundedWidth
     * rounded} width as padding again (a plan sized for a long batch is not kept for short ones); a
     * prompt's padding must also fit the {@code room} the generation leaves ({@link Capacity#of}).
     */
    boolean canHost(Batch batch, int startRowsPerSentence, int maxBeams, int steps, int room) {
        if (startRowsPerSentence != this.startRowsPerSentence || Math.max(maxBeams, startRowsPerSentence) != beams
                || steps != maxSteps || batch.sentences() > sentences) {
            return false;
        }
        int width = batch.width();
        int capacityWidth = capacity().width();
        if (!config.encoderDecoder() && batch.sentences() != sentences) {
            return false;
        }
        if (!config.encoderDecoder() && capacityWidth != width && room < capacityWidth - width) {
            return false;
        }
        return width <= capacityWidth && 2 * capacityWidth <= 3 * Capacity.roundedWidth(width);
    }

    /** Encoder runs for the batch: {@code ceil(batchSentences / chunkSentences)} (0 for a decoder-only model). */
    int chunks() {
        return chunkSentences == 0 ? 0 : (batchSentences + chunkSentences - 1) / chunkSentences;
    }

    /** Sentences of encoder run {@code chunk}: {@link #chunkSentences}, fewer for the last one. */
    int sentencesIn(int chunk) {
        return Math.min(chunkSentences, batchSentences - chunk * chunkSentences);
    }

    /** Rows of the batch's first scored step: {@link #batchSentences} x its rows per sentence. */
    int batchStartRows() {
        return batchSentences * startRowsPerSentence;
    }

    /** Rows step {@code t} may have: one per sentence for EL's shared prompt steps, the start rows up to the first scored step, then up to one per beam. */
    int rowsAt(int t) {
        if (t < firstScoredStep()) {
            return mode == AttentionMode.EL ? sentences : startRows;
        }
        return t == firstScoredStep() ? startRows : maxRows;
    }

    /** The decoder step whose candidates start() returns: the decoder start token, or the last prompt token. */
    int firstScoredStep() {
        return config.encoderDecoder() ? 0 : promptWidth - 1;
    }

    /**
     * The cached-state bytes of this batch in this mode: fp32, but EL's H in fp16 if
     * {@code halfCross}, and EL's self-attention history if {@code halfSelf}.
     */
    CacheBytes cacheBytes(boolean halfCross, boolean halfSelf) {
        long d = config.dModel();
        long layers = config.decoderLayers();
        long perState = d * Float.BYTES;
        long cross = mode == AttentionMode.EL
                ? (long) sentences * srcWidth * d * (halfCross ? Short.BYTES : Float.BYTES)
                : 2 * layers * maxRows * srcWidth * perState;
        long self = mode == AttentionMode.EL ? layers * slots * d * (halfSelf ? Short.BYTES : Float.BYTES)
                : 2 * layers * slots * perState;
        return new CacheBytes(cross, self);
    }
}
