package elattn.model.device;

import elattn.kernel.NativeArray;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ImmutableTaskGraph;
import elattn.runtime.IntParam;
import elattn.runtime.TaskGraph;
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

    /** The encoder graph; {@code w} is the plan's view ({@link DeviceWeights#on}) without decode-step linears. */
    static <A extends NativeArray> ImmutableTaskGraph build(BatchLayout layout, DeviceWeights<A> w, Buffers b) {
        ModelWeights<A> weights = w.weights();
        ModelConfig config = layout.config;
        int d = config.dModel();
        int srcRows = layout.sentences * layout.srcWidth;
        float eps = (float) config.layerNormEps();
        ModelWeights.Stack<A> stack = weights.encoder();
        IntParam rows = new IntParam(srcRows);
        LayerIo io = new LayerIo(b.encoderOut, null, b.encQ, b.encK, b.encV, null, null, b.encAttended, b.encY,
                b.encHidden, b.encScores, rows, new IntParam(srcRows * d), new IntParam(srcRows * config.encoderFfn()));

        TaskGraph g = new TaskGraph(NAME)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, b.srcTokens, b.srcPositions, b.srcKeys,
                        b.srcRowSentence);
        w.embed(g, "embed", b.srcTokens, b.srcPositions, stack, io.x(), rows, d, (float) config.embedScale());
        if (stack.embeddingNorm() != null) {
            w.launches().layerNorm(g, "embedNorm", io.x(), io.x(), w.vector(stack.embeddingNorm().weight()),
                    w.vector(stack.embeddingNorm().bias()), rows, d, eps);
        }
        AttentionLayer.Keys keys = new AttentionLayer.Keys(b.encK, b.encV, b.srcKeys, b.srcRowSentence,
                layout.srcWidth, layout.srcWidth, true);
        List<ModelWeights.Layer<A>> layers = stack.layers();
        for (int l = 0; l < layers.size(); l++) {
            ModelWeights.Layer<A> layer = layers.get(l);
            String p = "enc" + l;
            ModelWeights.Attention<A> self = layer.selfAttention();
            w.linear(g, p + "_k", io.x(), self.k(), io.k(), rows);
            w.linear(g, p + "_v", io.x(), self.v(), io.v(), rows);
            AttentionLayer.attend(g, p + "_self", io, io.x(), w, self, keys, AttentionMode.MHA, config.encoderHeads(),
                    d);
            w.launches().residualLayerNorm(g, p + "_selfNorm", io.x(), io.y(), io.x(),
                    w.vector(layer.selfNorm().weight()), w.vector(layer.selfNorm().bias()), rows, d, eps);
            FeedForwardLayer.add(g, p + "_ffn", io, io.x(), w, layer, config.activation());
            w.launches().residualLayerNorm(g, p + "_ffnNorm", io.x(), io.y(), io.x(),
                    w.vector(layer.ffnNorm().weight()), w.vector(layer.ffnNorm().bias()), rows, d, eps);
        }

        if (layout.mode == AttentionMode.EL) {
            g.persistOnDevice(b.encoderOut, b.srcKeys);
        } else {
            g.transferToDevice(DataTransferMode.EVERY_EXECUTION, b.crossKeys);
            int copies = layout.maxRows * layout.srcWidth;
            g.task("expand", History::expand, b.encoderOut, b.expandedEncoderOut, layout.sentences, layout.beams,
                    layout.srcWidth, d);
            List<ModelWeights.Layer<A>> decoderLayers = weights.decoder().layers();
            for (int l = 0; l < decoderLayers.size(); l++) {
                ModelWeights.Attention<A> cross = decoderLayers.get(l).crossAttention();
                w.linear(g, "dec" + l + "_crossK", b.expandedEncoderOut, cross.k(), b.crossKeysCache.get(l), copies);
                w.linear(g, "dec" + l + "_crossV", b.expandedEncoderOut, cross.v(), b.crossValues.get(l), copies);
            }
            g.persistOnDevice(b.crossKeys);
            g.persistOnDevice(b.crossKeysCache.toArray());
            g.persistOnDevice(b.crossValues.toArray());
        }
        return g.snapshot();
    }
}
