package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.NativeArray;
import elattn.model.ModelWeights;
import elattn.runtime.IntParam;
import elattn.runtime.TaskGraph;
import elattn.tasks.attention.Attention;
import elattn.tasks.attention.History;
import elattn.tasks.attention.TensorCoreAttention;

/**
 * The tasks of one attention sublayer, in either {@link AttentionMode}. The keys are a
 * {@link Keys}: which states, which key table (see {@link Attention}) and how many keys.
 *
 * <pre>
 *  MHA:  input ─► q = Linear_q ───────────────────────────► scores(q, K) ─► context(p, V) ─► Linear_out ─► y
 *  EL:   input ─► q = Linear_q ─► q~ = expandQuery(q, W^K) ─► scores(q~, H) ─► context(p, H) ─► projectHeads(W^V, b^V) ─► Linear_out ─► y
 * </pre>
 * With {@link KernelForms#GROUP} scores/context are work-group kernels with a softmax between them
 * ({@code _scores}, {@code _softmax}, {@code _context}), chosen by mode and by who shares the
 * states ({@link #attention}; see {@link Attention}):
 * <pre>
 *  EL,  shared tables (cross: a sentence's beams x heads over its H):  scoresBlocked ─► softmaxGroup ─► contextBlocked
 *  EL, one table per sentence, with tensor cores (H in fp16):          TensorCoreAttention.scores ─► softmaxGroup ─► .context
 *  MHA, one table per sentence, heads up to 64 wide, with tensor cores: TensorCoreAttention.fused (no scores in memory)
 *  EL,  a table per row (self: a row's heads over its ancestry):        scoresRows    ─► softmaxGroup ─► contextRows
 *  EL,  a table per row, with tensor cores (history in fp16):           TensorCoreAttention.scoresRows ─► softmaxGroup ─► .contextRows
 *  MHA, shared tables (encoder: dh-long reductions, dh-wide heads):     scoresTiled   ─► softmaxGroup ─► contextTiled
 *  MHA, a table per row (decode: no state shared by two lanes):         rawScores     ─► softmaxGroup ─► context (loop)
 * </pre>
 *
 * Decoder self-attention first writes this step's state into the history (see {@link #appendHistory}):
 * <pre>
 *  MHA:  input ─► Linear_k ─► append K[slot];  input ─► Linear_v ─► append V[slot]
 *  EL:   input ─► append H[slot]          (post-norm: the layer input; pre-norm: its layer norm; fp16 with halfKeys)
 * </pre>
 */
final class AttentionLayer {
    private AttentionLayer() {
    }

    /**
     * The keys of an attention: key j of row r is slot {@code keyTable[rowMap[r] * keyStride + j]}
     * of {@code keys} and {@code values} (one array, H, for EL).
     *
     * @param keyCount   an {@code Integer} or, for a growing history, an {@code IntParam}
     * @param sharing    who shares a key table
     * @param halfKeys   the keys in fp16, for the tensor-core kernels that read them so (EL's H or
     *                   history: {@code TensorCoreAttention.scores} / {@code .context},
     *                   {@code .scoresRows} / {@code .contextRows}, see {@code Buffers.halfCross},
     *                   {@code Buffers.halfSelf}; the encoder's K: {@code TensorCoreAttention.fused}, see
     *                   {@code Buffers.halfEncoderKeys}); null where there is no fp16 copy ({@code keys}
     *                   and {@code values} are then what the kernels read)
     * @param halfValues the values in fp16 likewise (EL: {@code halfKeys}, the same states)
     */
    record Keys(FloatArray keys, FloatArray values, IntArray keyTable, IntArray rowMap, int keyStride,
            Object keyCount, KeySharing sharing, HalfFloatArray halfKeys, HalfFloatArray halfValues) {
        Keys(FloatArray keys, FloatArray values, IntArray keyTable, IntArray rowMap, int keyStride, Object keyCount,
                KeySharing sharing) {
            this(keys, values, keyTable, rowMap, keyStride, keyCount, sharing, null, null);
        }

        /** EL's keys: one array of states, {@code halfStates} its fp16 copy or null. */
        Keys(FloatArray states, IntArray keyTable, IntArray rowMap, int keyStride, Object keyCount, KeySharing sharing,
                HalfFloatArray halfStates) {
            this(states, states, keyTable, rowMap, keyStride, keyCount, sharing, halfStates, halfStates);
        }

        /** Whether the rows of a sentence share (a prefix of) one key table. */
        boolean sharedByRows() {
            return sharing != KeySharing.NONE;
        }
    }

    /** Who shares a key table, which decides the attention kernels ({@link #attention}). */
    enum KeySharing {
        /** Each row has its own table: a beam's ancestry (decoder self-attention), MHA's per-row copies. */
        NONE,
        /** The rows of a sentence share one table: cross-attention over the sentence's source, the encoder. */
        SENTENCE,
        /** The rows of a sentence have prefixes of one table: a causal prompt pass. */
        PREFIX
    }

    /**
     * Adds the tasks of {@code y = Attention(input)} over {@code keys}; returns y, possibly in parts
     * ({@link DeviceWeights#linearInParts}: the output projection's sum is left to the residual norm).
     */
    static <A extends NativeArray> DeviceWeights.Product attend(TaskGraph g, String name, LayerIo io, FloatArray input,
            DeviceWeights<A> weights, ModelWeights.Attention<A> w, Keys keys, AttentionMode mode, int heads, int d) {
        int dh = d / heads;
        float scale = (float) (1 / Math.sqrt(dh));
        IntParam rows = io.rows();
        weights.linear(g, name + "_q", input, w.q(), io.q(), rows);
        if (mode == AttentionMode.EL) {
            weights.expandQuery(g, name + "_expand", io.q(), w.k().weight(), io.expanded(), rows, heads, dh, d);
            attention(g, name, weights.launches(), io.expanded(), keys, io.scores(), io.context(), rows, heads, d, 0, d,
                    scale);
            weights.projectHeads(g, name + "_value", io.context(), w.v(), io.attended(), rows, heads, dh, d);
        } else {
            attention(g, name, weights.launches(), io.q(), keys, io.scores(), io.attended(), rows, heads, dh, dh, d,
                    scale);
        }
        return weights.linearInParts(g, name + "_out", io.attended(), w.out(), io.y(), rows);
    }

    /**
     * Scores, softmax and context ({@link Attention}) of {@code queries} over {@code keys} into
     * {@code out}: the one place that picks the kernels, the loop forms or the work-group forms as
     * in the table above, with their launch grids.
     */
    private static void attention(TaskGraph g, String name, KernelLaunches launches, FloatArray queries, Keys keys,
            FloatArray scores, FloatArray out, IntParam rows, int heads, int width, int headStride, int stateWidth,
            float scale) {
        String scoresTask = name + "_scores";
        String contextTask = name + "_context";
        if (!launches.group()) {
            g.task(scoresTask, Attention::scores, queries, keys.keys(), keys.keyTable(), keys.rowMap(), scores,
                    rows, heads, width, headStride, stateWidth, keys.keyStride(), keys.keyCount(), scale);
            g.task(contextTask, Attention::context, scores, keys.values(), keys.keyTable(), keys.rowMap(), out,
                    rows, heads, width, headStride, stateWidth, keys.keyStride(), keys.keyCount());
            return;
        }
        boolean el = headStride == 0;
        Object keyCount = keys.keyCount();
        boolean sentences = keys.sharing() == KeySharing.SENTENCE && launches.tensorCores();
        if (sentences && !el && keys.halfKeys() != null && width <= TensorCoreAttention.FUSED_WIDTH) {
            String fused = name + "_fused";
            g.task(fused, TensorCoreAttention::fused, new KernelContext(), queries, keys.halfKeys(), keys.halfValues(),
                    keys.keyTable(), keys.rowMap(), out, rows, heads, width, headStride, stateWidth, keys.keyStride(),
                    keyCount, scale);
            launches.add(g, fused, () -> TensorCoreAttention.fusedGrid(rows.get(), heads), Attention.BLOCK_GROUP, 1);
            return;
        }
        // EL over a sentence's H: the blocked pair, or the row forms where the plan says so. The
        // tensor-core pair reads H in fp16 (halfKeys, kept so only where it can run: see
        // Buffers.halfCross); it has the blocked pair's blocks and grids.
        boolean rowsForSentences = keys.sharing() == KeySharing.SENTENCE && launches.rowAttentionForSharedKeys();
        boolean tensorCorePair = sentences && el && keys.halfKeys() != null && !rowsForSentences;
        boolean blocked = tensorCorePair || el && keys.sharedByRows() && !rowsForSentences;
        if (blocked) {
            if (tensorCorePair) {
                g.task(scoresTask, TensorCoreAttention::scores, new KernelContext(), queries, keys.halfKeys(),
                        keys.keyTable(), keys.rowMap(), scores, rows, heads, width, headStride, stateWidth,
                        keys.keyStride(), keyCount, scale);
            } else {
                g.task(scoresTask, Attention::scoresBlocked, new KernelContext(), queries, keys.keys(),
                        keys.keyTable(), keys.rowMap(), scores, rows, heads, width, headStride, stateWidth,
                        keys.keyStride(), keyCount, scale);
            }
            launches.add(g, scoresTask,
                    () -> Attention.blockedGrid(rows.get(), heads, headStride, KernelLaunches.value(keyCount)),
                    Attention.BLOCK_GROUP, 1, 1);
        } else if (el) {
            if (keys.halfKeys() != null) {
                g.task(scoresTask, TensorCoreAttention::scoresRows, new KernelContext(), queries, keys.halfKeys(),
                        keys.keyTable(), keys.rowMap(), scores, rows, heads, width, stateWidth, keys.keyStride(),
                        keyCount, scale);
            } else {
                g.task(scoresTask, Attention::scoresRows, new KernelContext(), queries, keys.keys(), keys.keyTable(),
                        keys.rowMap(), scores, rows, heads, width, stateWidth, keys.keyStride(), keyCount, scale);
            }
            launches.add(g, scoresTask,
                    () -> Attention.rowGrid(rows.get(), heads, KernelLaunches.value(keyCount), Attention.ROW_KEYS),
                    Attention.ROW_GROUP, 1);
        } else if (keys.sharedByRows()) {
            long e = Attention.GROUP_EDGE;
            g.task(scoresTask, Attention::scoresTiled, new KernelContext(), queries, keys.keys(), keys.keyTable(),
                    keys.rowMap(), scores, rows, heads, width, headStride, stateWidth, keys.keyStride(), keyCount,
                    scale);
            launches.add(g, scoresTask, () -> new long[] {
                KernelLaunches.blocks(KernelLaunches.value(keyCount), Attention.TILE) * e,
                KernelLaunches.blocks(rows.get(), Attention.TILE) * e, heads}, e, e, 1);
        } else {
            g.task(scoresTask, Attention::rawScores, queries, keys.keys(), keys.keyTable(), keys.rowMap(), scores,
                    rows, heads, width, headStride, stateWidth, keys.keyStride(), keyCount, scale);
        }
        g.task(name + "_softmax", Attention::softmaxGroup, new KernelContext(), scores, rows, heads, keys.keyStride(),
                keyCount);
        launches.add(g, name + "_softmax", () -> new long[] {(long) rows.get() * heads * Attention.SOFTMAX_GROUP},
                Attention.SOFTMAX_GROUP);
        if (blocked) {
            if (tensorCorePair) {
                g.task(contextTask, TensorCoreAttention::context, new KernelContext(), scores, keys.halfValues(),
                        keys.keyTable(), keys.rowMap(), out, rows, heads, width, headStride, stateWidth,
                        keys.keyStride(), keyCount);
            } else {
                g.task(contextTask, Attention::contextBlocked, new KernelContext(), scores, keys.values(),
                        keys.keyTable(), keys.rowMap(), out, rows, heads, width, headStride, stateWidth,
                        keys.keyStride(), keyCount);
            }
            launches.add(g, contextTask, () -> Attention.blockedGrid(rows.get(), heads, headStride, width),
                    Attention.BLOCK_GROUP, 1, 1);
        } else if (el) {
            if (keys.halfValues() != null) {
                g.task(contextTask, TensorCoreAttention::contextRows, new KernelContext(), scores, keys.halfValues(),
                        keys.keyTable(), keys.rowMap(), out, rows, heads, width, stateWidth, keys.keyStride(), keyCount);
            } else {
                g.task(contextTask, Attention::contextRows, new KernelContext(), scores, keys.values(),
                        keys.keyTable(), keys.rowMap(), out, rows, heads, width, stateWidth, keys.keyStride(), keyCount);
            }
            launches.add(g, contextTask, () -> Attention.rowGrid(rows.get(), heads, width, Attention.ROW_COLUMNS),
                    Attention.ROW_GROUP, 1);
        } else if (keys.sharedByRows()) {
            long e = Attention.GROUP_EDGE;
            g.task(contextTask, Attention::contextTiled, new KernelContext(), scores, keys.values(), keys.keyTable(),
                    keys.rowMap(), out, rows, heads, width, headStride, stateWidth, keys.keyStride(), keyCount);
            launches.add(g, contextTask, () -> new long[] {KernelLaunches.blocks(width, Attention.TILE) * e,
                KernelLaunches.blocks(rows.get(), Attention.TILE) * e, heads}, e, e, 1);
        } else {
            g.task(contextTask, Attention::context, scores, keys.values(), keys.keyTable(), keys.rowMap(), out,
                    rows, heads, width, headStride, stateWidth, keys.keyStride(), keyCount);
        }
    }

    /**
     * Adds the tasks that write this step's self-attention state into the history slots of the
     * step into the caches of {@code history}: EL the input itself (keys and values are one array,
     * H); MHA its key and value projections.
     */
    static <A extends NativeArray> void appendHistory(TaskGraph g, String name, LayerIo io, FloatArray input,
            DeviceWeights<A> weights, ModelWeights.Attention<A> w, AttentionMode mode, Keys history,
            IntArray stepOffsets, IntParam step, int d) {
        IntParam rows = io.rows();
        if (mode == AttentionMode.EL && history.halfKeys() != null) {
            g.task(name + "_append", History::appendHalf, input, history.halfKeys(), stepOffsets, rows, d, step);
        } else if (mode == AttentionMode.EL) {
            g.task(name + "_append", History::append, input, history.keys(), stepOffsets, rows, d, step);
        } else {
            weights.linear(g, name + "_k", input, w.k(), io.k(), rows);
            weights.linear(g, name + "_v", input, w.v(), io.v(), rows);
            g.task(name + "_appendK", History::append, io.k(), history.keys(), stepOffsets, rows, d, step);
            g.task(name + "_appendV", History::append, io.v(), history.values(), stepOffsets, rows, d, step);
        }
    }
}
