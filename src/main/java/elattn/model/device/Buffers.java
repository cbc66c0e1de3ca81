package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.runtime.IntParam;
import elattn.tasks.Logits;
import java.util.ArrayList;
import java.util.List;

/**
 * Every array and per-step scalar of one generation's graphs, sized once from a {@link BatchLayout}
 * (the widest step) and kept on the device by the plan until the batch closes. Steps with fewer
 * rows use the first rows of each array.
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

    /** Per decoder layer: EL's input states, or MHA's keys and values, by history slot. */
    final List<FloatArray> selfStates = new ArrayList<>();
    final List<FloatArray> selfKeysCache = new ArrayList<>();
    final List<FloatArray> selfValues = new ArrayList<>();

    // Encoder (encoder-decoder models only).
    final IntArray srcTokens;
    final IntArray srcPositions;
    final IntArray srcKeys;
    final IntArray srcRowSentence;
    /** The encoder output H (sentences x srcWidth x d): EL's cross-attention state. */
    final FloatArray encoderOut;
    final FloatArray encQ;
    final FloatArray encK;
    final FloatArray encV;
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

    Buffers(BatchLayout layout) {
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
        bannedCapacity = rowsCap * (layout.maxSteps + 8);
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

        parentTable = new IntArray(rowsCap * layout.maxSteps);
        selfKeys = new IntArray(rowsCap * layout.maxSteps);
        positions = new IntArray(rowsCap);
        x = new FloatArray(rowsCap * d);
        normed = new FloatArray(rowsCap * d);
        q = new FloatArray(rowsCap * d);
        k = new FloatArray(el ? 1 : rowsCap * d);
        v = new FloatArray(el ? 1 : rowsCap * d);
        expanded = new FloatArray(el ? rowsCap * heads * d : 1);
        context = new FloatArray(el ? rowsCap * heads * d : 1);
        attended = new FloatArray(rowsCap * d);
        y = new FloatArray(rowsCap * d);
        hidden = new FloatArray(rowsCap * ffn);
        scores = new FloatArray(rowsCap * heads * layout.keyStride);
        logits = new FloatArray(rowsCap * vocab);
        topTokens = new IntArray(rowsCap * Logits.MAX_K);
        topScores = new FloatArray(rowsCap * Logits.MAX_K);

        for (int l = 0; l < layout.config.decoderLayers(); l++) {
            if (el) {
                selfStates.add(new FloatArray(layout.slots * d));
            } else {
                selfKeysCache.add(new FloatArray(layout.slots * d));
                selfValues.add(new FloatArray(layout.slots * d));
            }
        }

        boolean encoder = layout.config.encoderDecoder();
        int srcRows = layout.sentences * layout.srcWidth;
        int encHeads = Math.max(1, layout.config.encoderHeads());
        srcTokens = new IntArray(Math.max(1, srcRows));
        srcPositions = new IntArray(Math.max(1, srcRows));
        srcKeys = new IntArray(Math.max(1, srcRows));
        srcRowSentence = new IntArray(Math.max(1, srcRows));
        encoderOut = new FloatArray(Math.max(1, srcRows * d));
        encQ = new FloatArray(Math.max(1, srcRows * d));
        encK = new FloatArray(Math.max(1, srcRows * d));
        encV = new FloatArray(Math.max(1, srcRows * d));
        encAttended = new FloatArray(Math.max(1, srcRows * d));
        encY = new FloatArray(Math.max(1, srcRows * d));
        encHidden = new FloatArray(Math.max(1, srcRows * Math.max(1, layout.config.encoderFfn())));
        encScores = new FloatArray(Math.max(1, srcRows * encHeads * layout.srcWidth));
        boolean mhaCross = encoder && !el;
        expandedEncoderOut = new FloatArray(mhaCross ? rowsCap * layout.srcWidth * d : 1);
        crossKeys = new IntArray(Math.max(1, layout.crossKeys.length));
        for (int l = 0; l < layout.config.decoderLayers() && mhaCross; l++) {
            crossKeysCache.add(new FloatArray(rowsCap * layout.srcWidth * d));
            crossValues.add(new FloatArray(rowsCap * layout.srcWidth * d));
        }
        load(layout);
    }

    /**
     * Fills the per-batch tables (masks, positions, source tokens and keys) from a layout of this
     * shape; the graphs send them to the device when the batch starts. (Arrays of a model without
     * an encoder are one-element placeholders: device arrays cannot be empty.)
     */
    void load(BatchLayout layout) {
        copy(layout.keyMask, keyMask);
        copy(layout.positionTable, positionTable);
        copy(layout.srcTokens, srcTokens);
        copy(layout.srcPositions, srcPositions);
        copy(layout.srcKeys, srcKeys);
        copy(layout.srcRowSentence, srcRowSentence);
        copy(layout.crossKeys, crossKeys);
    }

    private static void copy(int[] from, IntArray to) {
        for (int i = 0; i < from.length; i++) {
            to.set(i, from[i]);
        }
    }

    /** Sets the per-step row counts. */
    void setRows(int n, BatchLayout layout) {
        rows.set(n);
        rowsTimesD.set(n * layout.config.dModel());
        rowsTimesFfn.set(n * layout.config.decoderFfn());
    }
}
