package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.runtime.IntParam;
import elattn.tasks.Logits;
import elattn.tasks.attention.TensorCoreAttention;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every array and per-step scalar of one generation's graphs, sized once from a {@link BatchLayout}
 * (the widest step; the encoder's scratch for one chunk of sentences) and kept on the device by the
 * plan until the batch closes. Steps and chunks with fewer rows use the first rows of each array.
 */
final class Buffers {
    // Per-step inputs from the host (only these, the constraints and the candidates cross the bus).
    final IntArray tokens;
    final IntArray parents;
    final IntArray rowSentence;
    /** MHA: the beam copy of the encoder output each row reads (sentence * beams + k); EL: unused. */
    final IntArray crossRow;
    final IntArray forced;
    final IntArray bannedRows;
    final IntArray bannedTokens;

    final IntParam rows = new IntParam(0);
    final IntParam rowsTimesD = new IntParam(0);
    final IntParam rowsTimesFfn = new IntParam(0);
    final IntParam step = new IntParam(0);
    final IntParam keyCount = new IntParam(1);
    /** Rows the LM head and top-k run on: 0 on prompt steps whose candidates nobody reads. */
    final IntParam scoredRows = new IntParam(0);
    final IntParam topK = new IntParam(1);
    final IntParam bannedCount = new IntParam(0);

    // Sent once per batch.
    final IntArray stepOffsets;
    final IntArray keyMask;
    final IntArray positionTable;
    final IntArray identity;

    // Device-only per-step state.
    final IntArray parentTable;
    final IntArray selfKeys;
    final IntArray positions;
    final FloatArray x;
    final FloatArray normed;
    final FloatArray q;
    final FloatArray k;
    final FloatArray v;
    final FloatArray expanded;
    final FloatArray context;
    final FloatArray attended;
    final FloatArray y;
    final FloatArray hidden;
    final FloatArray scores;
    final FloatArray logits;
    final IntArray topTokens;
    final FloatArray topScores;

    /**
     * Per decoder layer: EL's input states (one element each when {@link #halfSelfStates}), or MHA's
     * keys and values, by history slot.
     */
    final List<FloatArray> selfStates = new ArrayList<>();
    /** Whether EL's history is kept in fp16 only ({@link #selfStatesHalf}): see {@link #halfSelf}. */
    final boolean halfSelfStates;
    /** Per decoder layer, EL's history in fp16 when {@link #halfSelfStates}. */
    final List<HalfFloatArray> selfStatesHalf = new ArrayList<>();
    final List<FloatArray> selfKeysCache = new ArrayList<>();
    final List<FloatArray> selfValues = new ArrayList<>();

    // Prefill (decoder-only, pre-norm): the prompt steps before the scored one, all in one pass.
    final IntArray prefillTokens;
    final IntArray prefillPositions;
    final IntArray prefillSlots;
    final IntArray prefillKeys;
    final IntArray prefillIdentity;
    /** The prefill's working arrays (its rows: every prompt row of every step before the scored one). */
    final LayerIo prefill;

    // Encoder (encoder-decoder models only). One encoder run covers a chunk of sentences
    // (BatchLayout.chunkSentences): its tables and scratch are chunk-sized, with slots and sentences
    // relative to the chunk; H and the decoder's tables cover the whole batch.
    final IntArray chunkTokens;
    final IntArray chunkPositions;
    final IntArray chunkKeys;
    final IntArray chunkRowSentence;
    /** First row of H of each chunk: chunk c's encoder output goes to rows chunkOffsets[c].. of H. */
    final IntArray chunkOffsets;
    final IntParam chunk = new IntParam(0);
    final IntParam chunkRows = new IntParam(0);
    final IntParam chunkRowsTimesD = new IntParam(0);
    final IntParam chunkRowsTimesFfn = new IntParam(0);
    /** The decoder's cross-attention key table (EL): key slots of H (absolute) by sentence and source position. */
    final IntArray srcKeys;
    /**
     * The encoder output H (sentences x srcWidth x d): EL's cross-attention state, and MHA's source of
     * its cross K/V. One element when {@link #halfEncoderOut}.
     */
    final FloatArray encoderOut;
    /** Whether H is kept in fp16 only ({@link #encoderOutHalf}): see {@link #halfCross}. */
    final boolean halfEncoderOut;
    /** H in fp16 when {@link #halfEncoderOut}, else one element. */
    final HalfFloatArray encoderOutHalf;
    /** The residual stream of the chunk's rows (the encoder's x), copied into H after the last layer. */
    final FloatArray encX;
    final FloatArray encQ;
    final FloatArray encK;
    final FloatArray encV;
    /** Whether the encoder's keys and values also go to fp16 for {@code TensorCoreAttention.fused}: {@link #halfEncoderKeys}. */
    final boolean halfEncoderKeys;
    /** The chunk's keys and values in fp16 when {@link #halfEncoderKeys}, else one element. */
    final HalfFloatArray encKHalf;
    final HalfFloatArray encVHalf;
    final FloatArray encAttended;
    final FloatArray encY;
    final FloatArray encHidden;
    final FloatArray encScores;
    /** MHA: H expanded to one copy per beam, and per decoder layer its keys and values. */
    final FloatArray expandedEncoderOut;
    final IntArray crossKeys;
    final List<FloatArray> crossKeysCache = new ArrayList<>();
    final List<FloatArray> crossValues = new ArrayList<>();

    final int bannedCapacity;

    /** The plan's kernel forms and the grids of its work-group tasks, resized by {@link #setRows}. */
    final KernelLaunches launches;

    /**
     * Whether a batch of {@code srcWidth} source positions of a model of width {@code d} keeps EL's H
     * (the cross-attention state) in fp16 only: EL with tensor cores, whose cross-attention kernels
     * read it so ({@code TensorCoreAttention.scores} / {@code .context}), where they take the sizes
     * ({@code TensorCoreAttention.copiesAligned}; else the fp32 blocked kernels read an fp32 H). Half
     * the bytes of the two reads of H per layer and step.
     */
    static boolean halfCross(boolean el, boolean tensorCores, int d, int srcWidth) {
        return el && tensorCores && TensorCoreAttention.copiesAligned(d, 0, d, srcWidth);
    }

    /**
     * Whether EL's self-attention history (each layer's input states by history slot) is kept in fp16
     * only: EL with tensor cores, whose row kernels read it so ({@code TensorCoreAttention.scoresRows}
     * / {@code .contextRows}), where they take the sizes ({@code TensorCoreAttention.copiesAligned}
     * with score rows of {@code selfKeyStride}); else the fp32 row kernels read an fp32 history.
     */
    static boolean halfSelf(boolean el, boolean tensorCores, int d, int selfKeyStride) {
        return el && tensorCores && TensorCoreAttention.copiesAligned(d, 0, d, selfKeyStride);
    }

    /**
     * Whether the encoder's self-attention runs fused on tensor cores ({@code TensorCoreAttention.fused},
     * which reads the keys and values in fp16): with tensor cores, heads at most
     * {@code FUSED_WIDTH} wide and the sizes its 16-byte copies take.
     */
    static boolean halfEncoderKeys(boolean tensorCores, int d, int heads) {
        int dh = heads > 0 && d % heads == 0 ? d / heads : 0;
        return tensorCores && dh > 0 && dh <= TensorCoreAttention.FUSED_WIDTH
                && TensorCoreAttention.copiesAligned(dh, dh, d, 4);
    }

    Buffers(BatchLayout layout, KernelLaunches launches) {
        this.launches = launches;
        int d = layout.config.dModel();
        int heads = layout.config.decoderHeads();
        int ffn = layout.config.decoderFfn();
        int vocab = layout.config.vocabSize();
        int rowsCap = layout.maxRows;
        boolean el = layout.mode == AttentionMode.EL;

        tokens = new IntArray(rowsCap);
        parents = new IntArray(rowsCap);
        rowSentence = new IntArray(rowsCap);
        crossRow = new IntArray(rowsCap);
        forced = new IntArray(rowsCap);
        // A row bans at most one token per earlier step (no_repeat_ngram) plus a few (min length, bad words).
        bannedCapacity = size(rowsCap, layout.maxSteps + 8);
        bannedRows = new IntArray(bannedCapacity);
        bannedTokens = new IntArray(bannedCapacity);

        stepOffsets = IntArray.fromArray(layout.stepOffsets);
        keyMask = new IntArray(layout.keyMask.length);
        positionTable = new IntArray(layout.positionTable.length);
        int[] ids = new int[rowsCap];
        for (int r = 0; r < rowsCap; r++) {
            ids[r] = r;
        }
        identity = IntArray.fromArray(ids);

        parentTable = IntArray.deviceResident(size(rowsCap, layout.maxSteps));
        selfKeys = IntArray.deviceResident(size(rowsCap, layout.selfKeyStride));
        positions = IntArray.deviceResident(rowsCap);
        x = FloatArray.deviceResident(size(rowsCap, d));
        normed = FloatArray.deviceResident(size(rowsCap, d));
        q = FloatArray.deviceResident(size(rowsCap, d));
        k = FloatArray.deviceResident(el ? 1 : size(rowsCap, d));
        v = FloatArray.deviceResident(el ? 1 : size(rowsCap, d));
        expanded = FloatArray.deviceResident(el ? size(rowsCap, heads, d) : 1);
        context = FloatArray.deviceResident(el ? size(rowsCap, heads, d) : 1);
        attended = FloatArray.deviceResident(size(rowsCap, d));
        y = FloatArray.deviceResident(size(rowsCap, d));
        hidden = FloatArray.deviceResident(size(rowsCap, ffn));
        scores = FloatArray.deviceResident(size(rowsCap, heads, layout.keyStride));
        logits = FloatArray.deviceResident(size(rowsCap, vocab));
        topTokens = IntArray.deviceResident(size(rowsCap, Logits.MAX_K));
        topScores = FloatArray.deviceResident(size(rowsCap, Logits.MAX_K));

        halfSelfStates = halfSelf(el, launches.tensorCores(), d, layout.selfKeyStride);
        for (int l = 0; l < layout.config.decoderLayers(); l++) {
            if (el) {
                selfStates.add(FloatArray.deviceResident(halfSelfStates ? 1 : size(layout.slots, d)));
                if (halfSelfStates) {
                    selfStatesHalf.add(HalfFloatArray.deviceResident(size(layout.slots, d)));
                }
            } else {
                selfKeysCache.add(FloatArray.deviceResident(size(layout.slots, d)));
                selfValues.add(FloatArray.deviceResident(size(layout.slots, d)));
            }
        }

        int prefillRows = Math.max(1, layout.prefillTokens.length);
        int prefillSteps = Math.max(1, layout.prefillSteps);
        prefillTokens = new IntArray(prefillRows);
        prefillPositions = new IntArray(prefillRows);
        prefillSlots = new IntArray(prefillRows);
        prefillKeys = new IntArray(Math.max(1, layout.prefillKeys.length));
        int[] prefillIds = new int[prefillRows];
        Arrays.setAll(prefillIds, i -> i);
        prefillIdentity = IntArray.fromArray(prefillIds);
        boolean prefilling = layout.prefillSteps > 0;
        int rowsOrOne = prefilling ? prefillRows : 1;
        prefill = new LayerIo(FloatArray.deviceResident(size(rowsOrOne, d)),
                FloatArray.deviceResident(size(rowsOrOne, d)), FloatArray.deviceResident(size(rowsOrOne, d)),
                FloatArray.deviceResident(size(rowsOrOne, d)), FloatArray.deviceResident(size(rowsOrOne, d)), null,
                null, FloatArray.deviceResident(size(rowsOrOne, d)), FloatArray.deviceResident(size(rowsOrOne, d)),
                FloatArray.deviceResident(size(rowsOrOne, ffn)),
                FloatArray.deviceResident(size(rowsOrOne, heads, prefilling ? prefillSteps : 1)),
                new IntParam(prefillRows), new IntParam(size(prefillRows, d)), new IntParam(size(prefillRows, ffn)));

        boolean encoder = layout.config.encoderDecoder();
        int rowsPerChunk = size(layout.chunkSentences, layout.srcWidth);
        int encHeads = Math.max(1, layout.config.encoderHeads());
        chunkTokens = new IntArray(Math.max(1, rowsPerChunk));
        chunkPositions = new IntArray(Math.max(1, rowsPerChunk));
        chunkKeys = new IntArray(Math.max(1, rowsPerChunk));
        chunkRowSentence = new IntArray(Math.max(1, rowsPerChunk));
        int[] offsets = new int[Math.max(1, layout.chunks())];
        Arrays.setAll(offsets, c -> c * rowsPerChunk);
        chunkOffsets = IntArray.fromArray(offsets);
        srcKeys = new IntArray(Math.max(1, layout.srcKeys.length));
        halfEncoderOut = encoder && halfCross(el, launches.tensorCores(), d, layout.srcWidth);
        int hElements = Math.max(1, size(layout.sentences, layout.srcWidth, d));
        encoderOut = FloatArray.deviceResident(halfEncoderOut ? 1 : hElements);
        encoderOutHalf = HalfFloatArray.deviceResident(halfEncoderOut ? hElements : 1);
        encX = FloatArray.deviceResident(Math.max(1, size(rowsPerChunk, d)));
        encQ = FloatArray.deviceResident(Math.max(1, size(rowsPerChunk, d)));
        encK = FloatArray.deviceResident(Math.max(1, size(rowsPerChunk, d)));
        encV = FloatArray.deviceResident(Math.max(1, size(rowsPerChunk, d)));
        halfEncoderKeys = encoder && halfEncoderKeys(launches.tensorCores(), d, encHeads);
        encKHalf = HalfFloatArray.deviceResident(halfEncoderKeys ? size(rowsPerChunk, d) : 1);
        encVHalf = HalfFloatArray.deviceResident(halfEncoderKeys ? size(rowsPerChunk, d) : 1);
        encAttended = FloatArray.deviceResident(Math.max(1, size(rowsPerChunk, d)));
        encY = FloatArray.deviceResident(Math.max(1, size(rowsPerChunk, d)));
        encHidden = FloatArray.deviceResident(Math.max(1, size(rowsPerChunk, layout.config.encoderFfn())));
        encScores = FloatArray.deviceResident(Math.max(1, size(rowsPerChunk, encHeads, layout.srcWidth)));
        boolean mhaCross = encoder && !el;
        expandedEncoderOut = FloatArray.deviceResident(mhaCross ? size(rowsCap, layout.srcWidth, d) : 1);
        crossKeys = new IntArray(Math.max(1, layout.crossKeys.length));
        for (int l = 0; l < layout.config.decoderLayers() && mhaCross; l++) {
            crossKeysCache.add(FloatArray.deviceResident(size(rowsCap, layout.srcWidth, d)));
            crossValues.add(FloatArray.deviceResident(size(rowsCap, layout.srcWidth, d)));
        }
        load(layout);
    }

    /**
     * The element count of an array of these dimensions. Device arrays are indexed with ints, so a
     * batch whose arrays would exceed {@link Integer#MAX_VALUE} elements is refused here, before
     * anything is allocated, instead of wrapping to a small size that kernels would overrun.
     */
    static int size(long... dims) {
        long n = 1;
        for (long dim : dims) {
            n = Math.multiplyExact(n, dim);
        }
        if (n > Integer.MAX_VALUE) {
            throw new BatchTooLargeException("this batch needs a device array of " + n + " elements, more than the "
                    + Integer.MAX_VALUE + " one array can index; use fewer sentences per batch");
        }
        return (int) n;
    }

    /**
     * Fills the per-batch tables (masks, positions, the decoder's cross-attention key tables) from a
     * layout of this shape; the batch graph sends them to the device when the batch starts. (Arrays
     * of a model without an encoder are one-element placeholders: device arrays cannot be empty.)
     */
    void load(BatchLayout layout) {
        copy(layout.keyMask, keyMask);
        copy(layout.positionTable, positionTable);
        copy(layout.srcKeys, srcKeys);
        copy(layout.crossKeys, crossKeys);
        copy(layout.prefillTokens, prefillTokens);
        copy(layout.prefillPositions, prefillPositions);
        copy(layout.prefillSlots, prefillSlots);
        copy(layout.prefillKeys, prefillKeys);
    }

    /**
     * Prepares encoder run {@code c}: its sentences' source tokens, positions and key table (slots
     * relative to the chunk's first row) and row -> sentence map (relative to its first sentence),
     * its row counts, and the grids sized from them.
     */
    void loadChunk(BatchLayout layout, int c) {
        int width = layout.srcWidth;
        int first = c * layout.chunkSentences * width;
        int n = layout.sentencesIn(c) * width;
        for (int i = 0; i < n; i++) {
            int key = layout.srcKeys[first + i];
            chunkTokens.set(i, layout.srcTokens[first + i]);
            chunkPositions.set(i, layout.srcPositions[first + i]);
            chunkKeys.set(i, key < 0 ? -1 : key - first);
            chunkRowSentence.set(i, i / width);
        }
        chunk.set(c);
        chunkRows.set(n);
        chunkRowsTimesD.set(n * layout.config.dModel());
        chunkRowsTimesFfn.set(n * layout.config.encoderFfn());
        launches.resize();
    }

    private static void copy(int[] from, IntArray to) {
        for (int i = 0; i < from.length; i++) {
            to.set(i, from[i]);
        }
    }

    /** Sets the per-step row counts and resizes the work-group grids (set every other per-step parameter first: the grids read them). */
    void setRows(int n, BatchLayout layout) {
        rows.set(n);
        rowsTimesD.set(n * layout.config.dModel());
        rowsTimesFfn.set(n * layout.config.decoderFfn());
        launches.resize();
    }
}
