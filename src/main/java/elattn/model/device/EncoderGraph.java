package elattn.model.device;

import elattn.kernel.NativeArray;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ImmutableTaskGraph;
import elattn.runtime.TaskGraph;
import elattn.tasks.Precision;
import elattn.tasks.attention.History;
import java.util.List;

/**
 * The encoder of an encoder-decoder model as two task graphs. {@link #build} runs the encoder over
 * one chunk of sentences ({@link BatchLayout#chunkSentences}; rows = the chunk's sentences x
 * srcWidth) and is executed once per chunk, after {@link Buffers#loadChunk} has filled the chunk's
 * EVERY_EXECUTION tables (source tokens, positions, key table and row -> sentence map, relative to
 * the chunk) and set its row counts: its scratch is sized for one chunk, not the batch. Each run
 * writes its rows of the encoder output H, which stays on the device for the decoder. MHA then runs
 * {@link #buildCross} once over the whole H. Post-norm layers (BART, Marian):
 *
 * <pre>
 *  per chunk c (sentences c * chunkSentences ..; the last chunk may have fewer):
 *    chunkTokens, chunkPositions ─► Embeddings.lookup (x √d if scale_embedding) ─► [layernorm_embedding] ─► x
 *    per layer:  x ─► attention over the sentence's unpadded positions (MHA form, chunkKeys) ─► y ─► x = LN(x + y)
 *                x ─► fc1 ─► act ─► fc2 ─► y ─► x = LN(x + y)
 *    x ─► History.append at chunkOffsets[c] ─► H[chunk's rows]   (H: sentences x srcWidth x d, persisted;
 *                                                                 EL with tensor cores: appendHalf, H in fp16)
 *  after the last chunk, H is the cross-attention state:
 *    EL:  H itself, shared by every decoder layer, head and beam (keys: srcKeys, absolute slots).
 *    MHA ("encoderCross", once): H ─► expand to one copy per beam ─► per decoder layer K = Linear_k,
 *         V = Linear_v (the HF cache; keys: crossKeys).
 * </pre>
 */
final class EncoderGraph {
    static final String NAME = "encoder";
    /** MHA's graph that projects H to every decoder layer's cross keys and values, run once per batch. */
    static final String CROSS = "encoderCross";

    private EncoderGraph() {
    }

    /**
     * The encoder graph of one chunk; {@code w} is the plan's view ({@link DeviceWeights#on}) for
     * {@code chunkSentences x srcWidth} rows.
     */
    static <A extends NativeArray> ImmutableTaskGraph build(BatchLayout layout, DeviceWeights<A> w, Buffers b) {
        ModelWeights<A> weights = w.weights();
        ModelConfig config = layout.config;
        int d = config.dModel();
        float eps = (float) config.layerNormEps();
        ModelWeights.Stack<A> stack = weights.encoder();
        LayerIo io = new LayerIo(b.encX, null, b.encQ, b.encK, b.encV, null, null, b.encAttended, b.encY,
                b.encHidden, b.encScores, b.chunkRows, b.chunkRowsTimesD, b.chunkRowsTimesFfn);

        TaskGraph g = new TaskGraph(NAME)
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, b.chunkOffsets)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, b.chunkTokens, b.chunkPositions, b.chunkKeys,
                        b.chunkRowSentence);
        w.embed(g, "embed", b.chunkTokens, b.chunkPositions, stack, io.x(), io.rows(), d, (float) config.embedScale());
        if (stack.embeddingNorm() != null) {
            w.launches().layerNorm(g, "embedNorm", io.x(), io.x(), w.vector(stack.embeddingNorm().weight()),
                    w.vector(stack.embeddingNorm().bias()), io.rows(), d, eps);
        }
        AttentionLayer.Keys keys = new AttentionLayer.Keys(b.encK, b.encV, b.chunkKeys, b.chunkRowSentence,
                layout.srcWidth, layout.srcWidth, AttentionLayer.KeySharing.SENTENCE,
                b.halfEncoderKeys ? b.encKHalf : null, b.halfEncoderKeys ? b.encVHalf : null);
        List<ModelWeights.Layer<A>> layers = stack.layers();
        for (int l = 0; l < layers.size(); l++) {
            ModelWeights.Layer<A> layer = layers.get(l);
            String p = "enc" + l;
            ModelWeights.Attention<A> self = layer.selfAttention();
            w.linear(g, p + "_k", io.x(), self.k(), io.k(), io.rows());
            w.linear(g, p + "_v", io.x(), self.v(), io.v(), io.rows());
            if (b.halfEncoderKeys) {
                g.task(p + "_kHalf", Precision::toHalf, io.k(), b.encKHalf, b.chunkRowsTimesD)
                        .task(p + "_vHalf", Precision::toHalf, io.v(), b.encVHalf, b.chunkRowsTimesD);
            }
            DeviceWeights.Product attended = AttentionLayer.attend(g, p + "_self", io, io.x(), w, self, keys,
                    AttentionMode.MHA, config.encoderHeads(), d);
            w.launches().residualLayerNorm(g, p + "_selfNorm", io.x(), attended, io.x(),
                    w.vector(layer.selfNorm().weight()), w.vector(layer.selfNorm().bias()), io.rows(), d, eps);
            DeviceWeights.Product ffn = FeedForwardLayer.add(g, p + "_ffn", io, io.x(), w, layer, config.activation());
            w.launches().residualLayerNorm(g, p + "_ffnNorm", io.x(), ffn, io.x(),
                    w.vector(layer.ffnNorm().weight()), w.vector(layer.ffnNorm().bias()), io.rows(), d, eps);
        }
        // H is written chunk by chunk as the decoder history is step by step: rows at a table's offset.
        if (b.halfEncoderOut) {
            g.task("store", History::appendHalf, io.x(), b.encoderOutHalf, b.chunkOffsets, io.rows(), d, b.chunk);
            g.persistOnDevice(b.encoderOutHalf);
        } else {
            g.task("store", History::append, io.x(), b.encoderOut, b.chunkOffsets, io.rows(), d, b.chunk);
            g.persistOnDevice(b.encoderOut);
        }
        return g.snapshot();
    }

    /**
     * MHA's cross-attention cache from the whole H: one copy per beam, projected by every decoder
     * layer's {@code k} and {@code v}; {@code w} is the plan's view for {@code maxRows x srcWidth} rows.
     */
    static <A extends NativeArray> ImmutableTaskGraph buildCross(BatchLayout layout, DeviceWeights<A> w, Buffers b) {
        int d = layout.config.dModel();
        int copies = layout.maxRows * layout.srcWidth;
        TaskGraph g = new TaskGraph(CROSS).consumeFromDevice(b.encoderOut);
        g.task("expand", History::expand, b.encoderOut, b.expandedEncoderOut, layout.sentences, layout.beams,
                layout.srcWidth, d);
        List<ModelWeights.Layer<A>> decoderLayers = w.weights().decoder().layers();
        for (int l = 0; l < decoderLayers.size(); l++) {
            ModelWeights.Attention<A> cross = decoderLayers.get(l).crossAttention();
            w.linear(g, "dec" + l + "_crossK", b.expandedEncoderOut, cross.k(), b.crossKeysCache.get(l), copies);
            w.linear(g, "dec" + l + "_crossV", b.expandedEncoderOut, cross.v(), b.crossValues.get(l), copies);
        }
        g.persistOnDevice(b.crossKeysCache.toArray());
        g.persistOnDevice(b.crossValues.toArray());
        return g.snapshot();
    }
}
