package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.NativeArray;
import elattn.model.ModelWeights;
import elattn.runtime.IntParam;
import elattn.runtime.TaskGraph;
import elattn.tasks.attention.Attention;
import elattn.tasks.attention.History;

/**
 * The tasks of one attention sublayer, in either {@link AttentionMode}. The keys are a
 * {@link Keys}: which states, which key table (see {@link Attention}) and how many keys.
 *
 * <pre>
 *  MHA:  input ─► q = Linear_q ───────────────────────────► scores(q, K) ─► context(p, V) ─► Linear_out ─► y
 *  EL:   input ─► q = Linear_q ─► q~ = expandQuery(q, W^K) ─► scores(q~, H) ─► context(p, H) ─► projectHeads(W^V, b^V) ─► Linear_out ─► y
 * </pre>
 * With {@link KernelForms#GROUP} scores/context are the tiled work-group kernels with a softmax between
 * them ({@code _scores}, {@code _softmax}, {@code _context}); see {@link Attention}.
 *
 * Decoder self-attention first writes this step's state into the history (see {@link #appendHistory}):
 * <pre>
 *  MHA:  input ─► Linear_k ─► append K[slot];  input ─► Linear_v ─► append V[slot]
 *  EL:   input ─► append H[slot]          (post-norm: the layer input; pre-norm: its layer norm)
 * </pre>
 */
final class AttentionLayer {
    private AttentionLayer() {
    }

    /**
     * The keys of an attention: key j of row r is slot {@code keyTable[rowMap[r] * keyStride + j]}
     * of {@code keys} and {@code values} (one array, H, for EL).
     *
     * @param keyCount     an {@code Integer} or, for a growing history, an {@code IntParam}
     * @param sharedByRows whether the rows of a sentence share one key table (cross-attention over
     *                     the sentence's H, the encoder); false where each row has its own (a beam's
     *                     ancestry, MHA's per-row copies of the encoder output)
     */
    record Keys(FloatArray keys, FloatArray values, IntArray keyTable, IntArray rowMap, int keyStride,
            Object keyCount, boolean sharedByRows) {
    }

    /** Adds the tasks of {@code y = Attention(input)} over {@code keys}. */
    static <A extends NativeArray> void attend(TaskGraph g, String name, LayerIo io, FloatArray input,
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
        weights.linear(g, name + "_out", io.attended(), w.out(), io.y(), rows);
    }

    /**
     * Scores, softmax and context ({@link Attention}) of {@code queries} over {@code keys} into
     * {@code out}: the two loop kernels, or the three work-group kernels with their grids (lanes of
     * {@code rows * heads} for EL's {@code headStride} 0, else {@code rows} per head); MHA over
     * per-row tables (the decode step) keeps the loop context after the tiled scores and softmax.
     */
    private static void attention(TaskGraph g, String name, KernelLaunches launches, FloatArray queries, Keys keys,
            FloatArray scores, FloatArray out, IntParam rows, int heads, int width, int headStride, int stateWidth,
            float scale) {
        if (!launches.group()) {
            g.task(name + "_scores", Attention::scores, queries, keys.keys(), keys.keyTable(), keys.rowMap(), scores,
                    rows, heads, width, headStride, stateWidth, keys.keyStride(), keys.keyCount(), scale);
            g.task(name + "_context", Attention::context, scores, keys.values(), keys.keyTable(), keys.rowMap(), out,
                    rows, heads, width, headStride, stateWidth, keys.keyStride(), keys.keyCount());
            return;
        }
        int lanesPerRow = headStride == 0 ? heads : 1;
        long z = headStride == 0 ? 1 : heads;
        long e = Attention.GROUP_EDGE;
        g.task(name + "_scores", Attention::scoresTiled, new KernelContext(), queries, keys.keys(), keys.keyTable(),
                keys.rowMap(), scores, rows, heads, width, headStride, stateWidth, keys.keyStride(), keys.keyCount(),
                scale);
        launches.add(g, name + "_scores", () -> new long[] {
            KernelLaunches.blocks(KernelLaunches.value(keys.keyCount()), Attention.TILE) * e,
            KernelLaunches.blocks(rows.get() * lanesPerRow, Attention.TILE) * e, z}, e, e, 1);
        g.task(name + "_softmax", Attention::softmaxGroup, new KernelContext(), scores, rows, heads, keys.keyStride(),
                keys.keyCount());
        launches.add(g, name + "_softmax", () -> new long[] {(long) rows.get() * heads * Attention.SOFTMAX_GROUP},
                Attention.SOFTMAX_GROUP);
        if (headStride != 0 && !keys.sharedByRows()) {
            // MHA with a table per row: no lane shares a state with another, and the blocks of lanes
            // x dh columns would be few (rows / 64 x heads); one work item per output element is wider.
            g.task(name + "_context", Attention::context, scores, keys.values(), keys.keyTable(), keys.rowMap(), out,
                    rows, heads, width, headStride, stateWidth, keys.keyStride(), keys.keyCount());
            return;
        }
        g.task(name + "_context", Attention::contextTiled, new KernelContext(), scores, keys.values(), keys.keyTable(),
                keys.rowMap(), out, rows, heads, width, headStride, stateWidth, keys.keyStride(), keys.keyCount());
        launches.add(g, name + "_context", () -> new long[] {KernelLaunches.blocks(width, Attention.TILE) * e,
            KernelLaunches.blocks(rows.get() * lanesPerRow, Attention.TILE) * e, z}, e, e, 1);
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
        if (mode == AttentionMode.EL) {
            g.task(name + "_append", History::append, input, history.keys(), stepOffsets, rows, d, step);
        } else {
            weights.linear(g, name + "_k", input, w.k(), io.k(), rows);
            weights.linear(g, name + "_v", input, w.v(), io.v(), rows);
            g.task(name + "_appendK", History::append, io.k(), history.keys(), stepOffsets, rows, d, step);
            g.task(name + "_appendV", History::append, io.v(), history.values(), stepOffsets, rows, d, step);
        }
    }
}
