package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.model.ModelWeights;
import elattn.runtime.IntParam;
import elattn.runtime.TaskGraph;
import elattn.tasks.Linear;
import elattn.tasks.attention.Attention;
import elattn.tasks.attention.ElAttention;
import elattn.tasks.attention.History;

/**
 * The tasks of one attention sublayer, in either {@link AttentionMode}. The keys are a
 * {@link Keys}: which states, which key table (see {@link Attention}) and how many keys.
 *
 * <pre>
 *  MHA:  input ─► q = Linear_q ───────────────────────────► scores(q, K) ─► context(p, V) ─► Linear_out ─► y
 *  EL:   input ─► q = Linear_q ─► q~ = expandQuery(q, W^K) ─► scores(q~, H) ─► context(p, H) ─► projectHeads(W^V, b^V) ─► Linear_out ─► y
 * </pre>
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
     * @param keyCount an {@code Integer} or, for a growing history, an {@code IntParam}
     */
    record Keys(FloatArray keys, FloatArray values, IntArray keyTable, IntArray rowMap, int keyStride,
            Object keyCount) {
    }

    /** Adds the tasks of {@code y = Attention(input)} over {@code keys}. */
    static void attend(TaskGraph g, String name, LayerIo io, FloatArray input, ModelWeights.Attention<FloatArray> w,
            Keys keys, AttentionMode mode, int heads, int d) {
        int dh = d / heads;
        float scale = (float) (1 / Math.sqrt(dh));
        IntParam rows = io.rows();
        g.task(name + "_q", Linear::forward, input, w.q().weight(), w.q().bias(), io.q(), rows, d, d);
        if (mode == AttentionMode.EL) {
            g.task(name + "_expand", ElAttention::expandQuery, io.q(), w.k().weight(), io.expanded(), rows, heads, dh, d);
            g.task(name + "_scores", Attention::scores, io.expanded(), keys.keys(), keys.keyTable(), keys.rowMap(),
                    io.scores(), rows, heads, d, 0, d, keys.keyStride(), keys.keyCount(), scale);
            g.task(name + "_context", Attention::context, io.scores(), keys.values(), keys.keyTable(), keys.rowMap(),
                    io.context(), rows, heads, d, 0, d, keys.keyStride(), keys.keyCount());
            g.task(name + "_value", ElAttention::projectHeads, io.context(), w.v().weight(), w.v().bias(),
                    io.attended(), rows, heads, dh, d);
        } else {
            g.task(name + "_scores", Attention::scores, io.q(), keys.keys(), keys.keyTable(), keys.rowMap(), io.scores(),
                    rows, heads, dh, dh, d, keys.keyStride(), keys.keyCount(), scale);
            g.task(name + "_context", Attention::context, io.scores(), keys.values(), keys.keyTable(), keys.rowMap(),
                    io.attended(), rows, heads, dh, dh, d, keys.keyStride(), keys.keyCount());
        }
        g.task(name + "_out", Linear::forward, io.attended(), w.out().weight(), w.out().bias(), io.y(), rows, d, d);
    }

    /**
     * Adds the tasks that write this step's self-attention state into the history slots of the
     * step into the caches of {@code history}: EL the input itself (keys and values are one array,
     * H); MHA its key and value projections.
     */
    static void appendHistory(TaskGraph g, String name, LayerIo io, FloatArray input,
            ModelWeights.Attention<FloatArray> w, AttentionMode mode, Keys history, IntArray stepOffsets,
            IntParam step, int d) {
        IntParam rows = io.rows();
        if (mode == AttentionMode.EL) {
            g.task(name + "_append", History::append, input, history.keys(), stepOffsets, rows, d, step);
        } else {
            g.task(name + "_k", Linear::forward, input, w.k().weight(), w.k().bias(), io.k(), rows, d, d);
            g.task(name + "_v", Linear::forward, input, w.v().weight(), w.v().bias(), io.v(), rows, d, d);
            g.task(name + "_appendK", History::append, io.k(), history.keys(), stepOffsets, rows, d, step);
            g.task(name + "_appendV", History::append, io.v(), history.values(), stepOffsets, rows, d, step);
        }
    }
}
