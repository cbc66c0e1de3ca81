package elattn.model.device;

import elattn.kernel.NativeArray;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ImmutableTaskGraph;
import elattn.runtime.TaskGraph;
import elattn.tasks.attention.History;
import java.util.List;

/**
 * A decoder-only (pre-norm, GPT-2) model's prompt read in one pass, as HF's first forward reads it:
 * every prompt step before the scored one, of every prompt row, as the rows of one graph, run once
 * per batch. It leaves the history exactly as that many decode steps would (the same states in the
 * same slots, the prompt steps' parents recorded), so the decode graph goes on at the last prompt
 * step, whose candidates start the search. Rows are sentence-major (see {@link BatchLayout#prefillKeys}),
 * and self-attention is causal through the key lists: a row's keys are the earlier steps of its own
 * prompt row, minus the pads.
 *
 * <pre>
 *  parents of the prompt steps ─► History.identityParents
 *  tokens, positions ─► Embeddings.lookup ─► x
 *  per layer:  a = LN_1(x) ─► k = Linear_k(a), v = Linear_v(a)
 *                EL:  a ─► History.appendRows ─► H[slot]           MHA: k, v ─► appendRows ─► K[slot], V[slot]
 *              a ─► q ─► causal attention over k, v (MHA form: cheaper than EL over a whole prompt) ─► y
 *              x = x + y;  a = LN_2(x) ─► fc1 ─► act ─► fc2 ─► y;  x = x + y
 * </pre>
 * Both modes attend in the MHA form here (one key and value projection per prompt position, as
 * EL would compute per head and query anyway); the history each mode keeps is its own.
 */
final class PrefillGraph {
    static final String NAME = "prefill";

    private PrefillGraph() {
    }

    /** The prefill graph; {@code w} is the plan's view ({@link DeviceWeights#on}) for the prefill's rows. */
    static <A extends NativeArray> ImmutableTaskGraph build(BatchLayout layout, DeviceWeights<A> w, Buffers b) {
        ModelConfig config = layout.config;
        int d = config.dModel();
        float eps = (float) config.layerNormEps();
        boolean el = layout.mode == AttentionMode.EL;
        ModelWeights.Stack<A> stack = w.weights().decoder();
        LayerIo io = b.prefill;

        TaskGraph g = new TaskGraph(NAME)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, b.prefillTokens, b.prefillPositions,
                        b.prefillSlots, b.prefillKeys, b.prefillIdentity)
                .task("parents", History::identityParents, b.parentTable, layout.prefillRowsPerStep,
                        layout.prefillSteps, layout.maxRows);
        w.embed(g, "embed", b.prefillTokens, b.prefillPositions, stack, io.x(), io.rows(), d,
                (float) config.embedScale());
        // Shared: a prompt row's rows come latest step first, so a block's first row lists every key
        // the others do (BatchLayout.prefillKeys); the tiled kernels are exact for any lists anyway.
        AttentionLayer.Keys keys = new AttentionLayer.Keys(io.k(), io.v(), b.prefillKeys, b.prefillIdentity,
                layout.prefillSteps, layout.prefillSteps, AttentionLayer.KeySharing.PREFIX);
        List<ModelWeights.Layer<A>> layers = stack.layers();
        for (int l = 0; l < layers.size(); l++) {
            ModelWeights.Layer<A> layer = layers.get(l);
            String p = "pre" + l;
            ModelWeights.Attention<A> self = layer.selfAttention();
            if (l == 0) { // later layers' LN_1 comes with the previous layer's last residual add
                w.launches().layerNorm(g, p + "_ln1", io.x(), io.normed(), w.vector(layer.selfNorm().weight()),
                        w.vector(layer.selfNorm().bias()), io.rows(), d, eps);
            }
            w.linear(g, p + "_k", io.normed(), self.k(), io.k(), io.rows());
            w.linear(g, p + "_v", io.normed(), self.v(), io.v(), io.rows());
            if (el && b.halfSelfStates) {
                g.task(p + "_append", History::appendRowsHalf, io.normed(), b.selfStatesHalf.get(l), b.prefillSlots,
                        io.rows(), d);
            } else if (el) {
                g.task(p + "_append", History::appendRows, io.normed(), b.selfStates.get(l), b.prefillSlots,
                        io.rows(), d);
            } else {
                g.task(p + "_appendK", History::appendRows, io.k(), b.selfKeysCache.get(l), b.prefillSlots,
                        io.rows(), d);
                g.task(p + "_appendV", History::appendRows, io.v(), b.selfValues.get(l), b.prefillSlots,
                        io.rows(), d);
            }
            DeviceWeights.Product attended = AttentionLayer.attend(g, p + "_self", io, io.normed(), w, self, keys,
                    AttentionMode.MHA, config.decoderHeads(), d);
            FeedForwardLayer.addPreNormTail(g, p, io, w, layer, config, attended,
                    l + 1 < layers.size() ? layers.get(l + 1).selfNorm() : null);
        }
        return g.snapshot();
    }
}
