package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.NativeArray;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ImmutableTaskGraph;
import elattn.runtime.TaskGraph;
import elattn.tasks.attention.History;
import java.util.List;

/**
 * One decoder step of every row as ONE task graph: history bookkeeping, embeddings, all decoder
 * layers, the LM head and the candidates. Weights go to the device on the first execute and stay;
 * per step the host sends token ids, parents, the row -> sentence map (MHA also the row -> encoder
 * copy map) and the constraints, and reads back {@code rows x topK} candidates.
 *
 * <pre>
 *  parents ─► History.recordParents ─► History.ancestry ─► selfKeys (rows x steps slot table, all layers)
 *  rowSentence ─► History.rowLookup(positionTable) ─► positions
 *  tokens, positions ─► Embeddings.lookup ─► [layernorm_embedding] ─► x
 *  per layer, post-norm (BART, Marian):                 per layer, pre-norm (GPT-2):
 *    x ─► append history ─► self-attention ─► y            a = LN_1(x) ─► append history ─► self-attention(a) ─► y
 *    x = LN(x + y)                                         x = x + y
 *    x ─► cross-attention over H (or K/V) ─► y             a = LN_2(x) ─► fc1 ─► act ─► fc2 ─► y
 *    x = LN(x + y)                                         x = x + y
 *    x ─► fc1 ─► act ─► fc2 ─► y ;  x = LN(x + y)
 *  [ln_f] ─► logits = x E^T + final_logits_bias ─► Logits.logSoftmaxTopK(forced, banned) ─► topTokens, topScores
 * </pre>
 */
final class DecoderGraph {
    static final String NAME = "decode";
    /** The graph that sends a batch's key-mask, position and cross-attention key tables, run once when the batch starts. */
    static final String BATCH = "batch";

    private DecoderGraph() {
    }

    /**
     * A graph without tasks: the per-batch tables the decode graph reads, sent when a batch starts
     * (an encoder-decoder's cross-attention key table too: EL's {@code srcKeys} over H, MHA's
     * {@code crossKeys} over the beam copies).
     */
    static ImmutableTaskGraph batchTables(BatchLayout layout, Buffers b) {
        TaskGraph g = new TaskGraph(BATCH).transferToDevice(DataTransferMode.EVERY_EXECUTION, b.keyMask,
                b.positionTable);
        if (layout.config.encoderDecoder()) {
            IntArray crossKeys = layout.mode == AttentionMode.EL ? b.srcKeys : b.crossKeys;
            g.transferToDevice(DataTransferMode.EVERY_EXECUTION, crossKeys).persistOnDevice(crossKeys);
        }
        return g.snapshot();
    }

    /** The decode-step graph; {@code w} is the plan's view ({@link DeviceWeights#on}) with decode-step linears. */
    static <A extends NativeArray> ImmutableTaskGraph build(BatchLayout layout, DeviceWeights<A> w, Buffers b) {
        ModelWeights<A> weights = w.weights();
        ModelConfig config = layout.config;
        int d = config.dModel();
        float eps = (float) config.layerNormEps();
        ModelWeights.Stack<A> stack = weights.decoder();
        boolean el = layout.mode == AttentionMode.EL;
        LayerIo io = new LayerIo(b.x, b.normed, b.q, b.k, b.v, b.expanded, b.context, b.attended, b.y, b.hidden,
                b.scores, b.rows, b.rowsTimesD, b.rowsTimesFfn);

        TaskGraph g = new TaskGraph(NAME)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, b.stepOffsets, b.identity)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, b.tokens, b.parents, b.rowSentence, b.forced,
                        b.bannedRows, b.bannedTokens);
        if (config.encoderDecoder()) {
            if (el) {
                g.consumeFromDevice(b.halfEncoderOut ? b.encoderOutHalf : b.encoderOut, b.srcKeys);
            } else {
                g.transferToDevice(DataTransferMode.EVERY_EXECUTION, b.crossRow);
                g.consumeFromDevice(b.crossKeys);
                g.consumeFromDevice(b.crossKeysCache.toArray());
                g.consumeFromDevice(b.crossValues.toArray());
            }
        }

        g.task("parents", History::recordParents, b.parents, b.parentTable, b.rows, b.step, layout.maxRows)
                .task("ancestry", History::ancestry, b.parentTable, b.stepOffsets, b.keyMask, b.rowSentence,
                        b.selfKeys, b.rows, b.step, layout.maxRows, layout.maxSteps, layout.selfKeyStride)
                .task("positions", History::rowLookup, b.positionTable, b.rowSentence, b.positions, b.rows, b.step,
                        layout.maxSteps);
        w.embed(g, "embed", b.tokens, b.positions, stack, b.x, b.rows, d, (float) config.embedScale());
        if (stack.embeddingNorm() != null) {
            w.launches().layerNorm(g, "embedNorm", b.x, b.x, w.vector(stack.embeddingNorm().weight()),
                    w.vector(stack.embeddingNorm().bias()), b.rows, d, eps);
        }

        List<ModelWeights.Layer<A>> layers = stack.layers();
        for (int l = 0; l < layers.size(); l++) {
            ModelWeights.Layer<A> layer = layers.get(l);
            String p = "dec" + l;
            AttentionLayer.Keys self = el
                    ? new AttentionLayer.Keys(b.selfStates.get(l), b.selfKeys, b.identity, layout.selfKeyStride,
                            b.keyCount, AttentionLayer.KeySharing.NONE, b.halfSelfStates ? b.selfStatesHalf.get(l) : null)
                    : new AttentionLayer.Keys(b.selfKeysCache.get(l), b.selfValues.get(l), b.selfKeys, b.identity,
                            layout.selfKeyStride, b.keyCount, AttentionLayer.KeySharing.NONE);
            if (config.preNorm()) {
                // The norm after the block: the next layer's LN_1, or the final norm after the last.
                ModelWeights.LayerNorm<A> next = l + 1 < layers.size() ? layers.get(l + 1).selfNorm()
                        : stack.finalNorm();
                preNormLayer(g, p, io, w, layer, self, layout, b, l == 0, next);
            } else {
                postNormLayer(g, p, io, w, layer, self, layout, b, l);
            }
        }

        FloatArray last = b.x;
        if (config.preNorm() && stack.finalNorm() != null) {
            last = b.normed; // the last block's residual add applied it
        } else if (stack.finalNorm() != null) {
            w.launches().layerNorm(g, "finalNorm", b.x, b.normed, w.vector(stack.finalNorm().weight()),
                    w.vector(stack.finalNorm().bias()), b.rows, d, eps);
            last = b.normed;
        }
        w.linear(g, "lmHead", last, weights.lmHead(), weights.finalLogitsBias(), b.logits, b.scoredRows, d,
                config.vocabSize());
        w.launches().topK(g, "topK", b.logits, b.rows, b.scoredRows, config.vocabSize(), b.forced, b.bannedRows,
                b.bannedTokens, b.bannedCount, b.topK, b.topTokens, b.topScores);
        g.transferToHost(DataTransferMode.EVERY_EXECUTION, b.topTokens, b.topScores)
                .transferToHost(DataTransferMode.UNDER_DEMAND, b.logits);
        return g.snapshot();
    }

    /** BART/Marian decoder layer: self-attention, cross-attention and feed-forward, each followed by LN(x + y). */
    private static <A extends NativeArray> void postNormLayer(TaskGraph g, String p, LayerIo io, DeviceWeights<A> w,
            ModelWeights.Layer<A> layer, AttentionLayer.Keys self, BatchLayout layout, Buffers b, int l) {
        ModelConfig config = layout.config;
        int d = config.dModel();
        int heads = config.decoderHeads();
        float eps = (float) config.layerNormEps();
        AttentionLayer.appendHistory(g, p + "_self", io, io.x(), w, layer.selfAttention(), layout.mode, self,
                b.stepOffsets, b.step, d);
        DeviceWeights.Product selfOut = AttentionLayer.attend(g, p + "_self", io, io.x(), w, layer.selfAttention(),
                self, layout.mode, heads, d);
        w.launches().residualLayerNorm(g, p + "_selfNorm", io.x(), selfOut, io.x(),
                w.vector(layer.selfNorm().weight()), w.vector(layer.selfNorm().bias()), io.rows(), d, eps);

        AttentionLayer.Keys cross = layout.mode == AttentionMode.EL
                ? new AttentionLayer.Keys(b.encoderOut, b.srcKeys, b.rowSentence, layout.srcWidth, layout.srcWidth,
                        AttentionLayer.KeySharing.SENTENCE, b.halfEncoderOut ? b.encoderOutHalf : null)
                : new AttentionLayer.Keys(b.crossKeysCache.get(l), b.crossValues.get(l), b.crossKeys, b.crossRow,
                        layout.srcWidth, layout.srcWidth, AttentionLayer.KeySharing.NONE);
        DeviceWeights.Product crossOut = AttentionLayer.attend(g, p + "_cross", io, io.x(), w, layer.crossAttention(),
                cross, layout.mode, heads, d);
        w.launches().residualLayerNorm(g, p + "_crossNorm", io.x(), crossOut, io.x(),
                w.vector(layer.crossNorm().weight()), w.vector(layer.crossNorm().bias()), io.rows(), d, eps);

        DeviceWeights.Product ffn = FeedForwardLayer.add(g, p + "_ffn", io, io.x(), w, layer, config.activation());
        w.launches().residualLayerNorm(g, p + "_ffnNorm", io.x(), ffn, io.x(), w.vector(layer.ffnNorm().weight()),
                w.vector(layer.ffnNorm().bias()), io.rows(), d, eps);
    }

    /**
     * GPT-2 block: x += Attention(LN_1(x)); x += MLP(LN_2(x)); then {@code normed = next(x)}. EL caches
     * LN_1(x), the states k and v read. LN_1 is this block's own task only in the {@code first} block;
     * the others get it from the block before ({@link FeedForwardLayer#addPreNormTail}).
     */
    private static <A extends NativeArray> void preNormLayer(TaskGraph g, String p, LayerIo io, DeviceWeights<A> w,
            ModelWeights.Layer<A> layer, AttentionLayer.Keys self, BatchLayout layout, Buffers b, boolean first,
            ModelWeights.LayerNorm<A> next) {
        ModelConfig config = layout.config;
        int d = config.dModel();
        float eps = (float) config.layerNormEps();
        if (first) {
            w.launches().layerNorm(g, p + "_ln1", io.x(), io.normed(), w.vector(layer.selfNorm().weight()),
                    w.vector(layer.selfNorm().bias()), io.rows(), d, eps);
        }
        AttentionLayer.appendHistory(g, p + "_self", io, io.normed(), w, layer.selfAttention(), layout.mode, self,
                b.stepOffsets, b.step, d);
        DeviceWeights.Product attended = AttentionLayer.attend(g, p + "_self", io, io.normed(), w,
                layer.selfAttention(), self, layout.mode, config.decoderHeads(), d);
        FeedForwardLayer.addPreNormTail(g, p, io, w, layer, config, attended, next);
    }
}
