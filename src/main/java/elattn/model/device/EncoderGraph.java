package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ImmutableTaskGraph;
import elattn.runtime.IntParam;
import elattn.runtime.TaskGraph;
import elattn.tasks.Embeddings;
import elattn.tasks.LayerNorm;
import elattn.tasks.Linear;
import elattn.tasks.attention.History;
import java.util.List;

/**
 * The encoder of an encoder-decoder model as one task graph, run once per batch (so its
 * EVERY_EXECUTION inputs are the batch's source tokens and masks) over all source
 * positions of all sentences (rows = sentences x srcWidth). Post-norm layers (BART, Marian):
 *
 * <pre>
 *  srcTokens, srcPositions ─► Embeddings.lookup (x √d if scale_embedding) ─► [layernorm_embedding] ─► x
 *  per layer:  x ─► attention over the sentence's unpadded positions (MHA form) ─► y ─► x = LN(x + y)
 *              x ─► fc1 ─► act ─► fc2 ─► y ─► x = LN(x + y)
 *  x = H, the encoder output, stays on the device (persisted for the decode graph):
 *    EL:  H is the whole cross-attention state, shared by every decoder layer, head and beam.
 *    MHA: H ─► expand to one copy per beam ─► per decoder layer K = Linear_k, V = Linear_v (the HF cache).
 * </pre>
 */
final class EncoderGraph {
    static final String NAME = "encoder";

    private EncoderGraph() {
    }

    static ImmutableTaskGraph build(BatchLayout layout, ModelWeights<FloatArray> weights, Buffers b) {
        ModelConfig config = layout.config;
        int d = config.dModel();
        int srcRows = layout.sentences * layout.srcWidth;
        float eps = (float) config.layerNormEps();
        ModelWeights.Stack<FloatArray> stack = weights.encoder();
        IntParam rows = new IntParam(srcRows);
        LayerIo io = new LayerIo(b.encoderOut, null, b.encQ, b.encK, b.encV, null, null, b.encAttended, b.encY,
                b.encHidden, b.encScores, rows, new IntParam(srcRows * d), new IntParam(srcRows * config.encoderFfn()));

        TaskGraph g = new TaskGraph(NAME)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, b.srcTokens, b.srcPositions, b.srcKeys,
                        b.srcRowSentence)
                .task("embed", Embeddings::lookup, b.srcTokens, b.srcPositions, stack.tokenEmbedding(),
                        stack.positions(), io.x(), rows, d, (float) config.embedScale());
        if (stack.embeddingNorm() != null) {
            g.task("embedNorm", LayerNorm::rows, io.x(), io.x(), stack.embeddingNorm().weight(),
                    stack.embeddingNorm().bias(), rows, d, eps);
        }
        AttentionLayer.Keys keys = new AttentionLayer.Keys(b.encK, b.encV, b.srcKeys, b.srcRowSentence,
                layout.srcWidth, layout.srcWidth);
        List<ModelWeights.Layer<FloatArray>> layers = stack.layers();
        for (int l = 0; l < layers.size(); l++) {
            ModelWeights.Layer<FloatArray> layer = layers.get(l);
            String p = "enc" + l;
            ModelWeights.Attention<FloatArray> w = layer.selfAttention();
            g.task(p + "_k", Linear::forward, io.x(), w.k().weight(), w.k().bias(), io.k(), rows, d, d);
            g.task(p + "_v", Linear::forward, io.x(), w.v().weight(), w.v().bias(), io.v(), rows, d, d);
            AttentionLayer.attend(g, p + "_self", io, io.x(), w, keys, AttentionMode.MHA, config.encoderHeads(), d);
            g.task(p + "_selfNorm", LayerNorm::residualRows, io.x(), io.y(), io.x(), layer.selfNorm().weight(),
                    layer.selfNorm().bias(), rows, d, eps);
            FeedForwardLayer.add(g, p + "_ffn", io, io.x(), layer, config.activation());
            g.task(p + "_ffnNorm", LayerNorm::residualRows, io.x(), io.y(), io.x(), layer.ffnNorm().weight(),
                    layer.ffnNorm().bias(), rows, d, eps);
        }

        if (layout.mode == AttentionMode.EL) {
            g.persistOnDevice(b.encoderOut, b.srcKeys);
        } else {
            g.transferToDevice(DataTransferMode.EVERY_EXECUTION, b.crossKeys);
            int copies = layout.maxRows * layout.srcWidth;
            g.task("expand", History::expand, b.encoderOut, b.expandedEncoderOut, layout.sentences, layout.beams,
                    layout.srcWidth, d);
            List<ModelWeights.Layer<FloatArray>> decoderLayers = weights.decoder().layers();
            for (int l = 0; l < decoderLayers.size(); l++) {
                ModelWeights.Attention<FloatArray> cross = decoderLayers.get(l).crossAttention();
                g.task("dec" + l + "_crossK", Linear::forward, b.expandedEncoderOut, cross.k().weight(),
                        cross.k().bias(), b.crossKeysCache.get(l), copies, d, d);
                g.task("dec" + l + "_crossV", Linear::forward, b.expandedEncoderOut, cross.v().weight(),
                        cross.v().bias(), b.crossValues.get(l), copies, d, d);
            }
            g.persistOnDevice(b.crossKeys);
            g.persistOnDevice(b.crossKeysCache.toArray());
            g.persistOnDevice(b.crossValues.toArray());
        }
        return g.snapshot();
    }
}
