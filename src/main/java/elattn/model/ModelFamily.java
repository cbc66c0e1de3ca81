package elattn.model;

import java.util.List;

/**
 * The model families this project runs, as data: where each family keeps its weights in a HF
 * checkpoint and which architecture switches it sets. One loader and one set of device graphs
 * serve all of them; nothing is copied per family.
 *
 * <p>Names are HF's. A layer's tensors are {@code stackPrefix + layer(i) + block + part + ".weight"}
 * (or {@code ".bias"}), e.g. {@code model.decoder.} {@code layers.0.} {@code encoder_attn.}
 * {@code q_proj} {@code .weight}.
 */
public enum ModelFamily {
    /** BART: encoder-decoder, learned positions with an offset of 2, post-norm, layernorm_embedding. */
    BART("bart", true, false, PositionKind.LEARNED, 2, true, false, true, Names.SEQ2SEQ),
    /** GPT-2: decoder-only, learned positions, pre-norm, final {@code ln_f}, Conv1D (in, out) weights. */
    GPT2("gpt2", false, true, PositionKind.LEARNED, 0, false, true, false, Names.GPT2),
    /** Marian, the classic Transformer: encoder-decoder, sinusoidal positions, post-norm. */
    MARIAN("marian", true, false, PositionKind.SINUSOIDAL, 0, false, false, true, Names.SEQ2SEQ);

    /** How a family encodes token positions. */
    public enum PositionKind {
        /** A trained table, stored in the checkpoint, read at {@code position + offset}. */
        LEARNED,
        /** HF's {@code MarianSinusoidalPositionalEmbedding}: computed, not stored. */
        SINUSOIDAL
    }

    /**
     * Tensor names of a family (null: the family has no such tensor).
     *
     * @param tokenEmbedding   full name of the (shared) token embedding
     * @param tokenAliases     other full names the same tied table is found under in older checkpoints
     * @param optionalPrefix   a prefix that checkpoints of the base model (without LM head) lack
     * @param encoder          prefix of the encoder's tensors
     * @param decoder          prefix of the decoder's tensors
     * @param layer            a layer's prefix inside a stack, with {@code %d} for its index
     * @param positions        the learned position table inside a stack
     * @param embeddingNorm    layer norm right after the embeddings, inside a stack
     * @param finalNorm        layer norm after the last layer, inside a stack
     * @param selfAttention    self-attention block inside a layer
     * @param crossAttention   cross-attention block inside a decoder layer
     * @param q                query projection inside an attention block
     * @param k                key projection
     * @param v                value projection
     * @param fusedQkv         one projection holding q|k|v along its output dimension
     * @param out              output projection
     * @param selfNorm         layer norm of the self-attention sublayer
     * @param crossNorm        layer norm of the cross-attention sublayer
     * @param ffnNorm          layer norm of the feed-forward sublayer
     * @param fc1              first feed-forward linear layer (d to ffn)
     * @param fc2              second feed-forward linear layer (ffn to d)
     * @param lmHead           output projection when it is not tied to the token embedding
     * @param finalLogitsBias  bias added to the logits
     * @param conv1d           whether linear weights are stored (in, out) as GPT-2's Conv1D does
     */
    public record Names(String tokenEmbedding, List<String> tokenAliases, String optionalPrefix,
            String encoder, String decoder, String layer, String positions, String embeddingNorm, String finalNorm,
            String selfAttention, String crossAttention, String q, String k, String v, String fusedQkv, String out,
            String selfNorm, String crossNorm, String ffnNorm, String fc1, String fc2,
            String lmHead, String finalLogitsBias, boolean conv1d) {
        static final Names SEQ2SEQ = new Names("model.shared.weight",
                List.of("model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight"),
                null, "model.encoder.", "model.decoder.", "layers.%d.", "embed_positions.weight",
                "layernorm_embedding", null, "self_attn.", "encoder_attn.", "q_proj", "k_proj", "v_proj", null,
                "out_proj", "self_attn_layer_norm", "encoder_attn_layer_norm", "final_layer_norm", "fc1", "fc2",
                "lm_head.weight", "final_logits_bias", false);
        static final Names GPT2 = new Names("transformer.wte.weight", List.of(), "transformer.", null,
                "transformer.", "h.%d.", "wpe.weight", null, "ln_f", "attn.", null, null, null, null, "c_attn",
                "c_proj", "ln_1", null, "ln_2", "mlp.c_fc", "mlp.c_proj", "lm_head.weight", null, true);
    }

    private final String modelType;
    private final boolean encoderDecoder;
    private final boolean preNorm;
    private final PositionKind positions;
    private final int positionOffset;
    private final boolean layernormEmbedding;
    private final boolean finalLayerNorm;
    private final boolean finalLogitsBias;
    private final Names names;

    ModelFamily(String modelType, boolean encoderDecoder, boolean preNorm, PositionKind positions, int positionOffset,
            boolean layernormEmbedding, boolean finalLayerNorm, boolean finalLogitsBias, Names names) {
        this.modelType = modelType;
        this.encoderDecoder = encoderDecoder;
        this.preNorm = preNorm;
        this.positions = positions;
        this.positionOffset = positionOffset;
        this.layernormEmbedding = layernormEmbedding;
        this.finalLayerNorm = finalLayerNorm;
        this.finalLogitsBias = finalLogitsBias;
        this.names = names;
    }

    /** The family of config.json's {@code model_type}, or null when it is not one of ours. */
    public static ModelFamily ofModelType(String modelType) {
        for (ModelFamily f : values()) {
            if (f.modelType.equals(modelType)) {
                return f;
            }
        }
        return null;
    }

    /** The supported model types, for error messages. */
    static String supported() {
        StringBuilder s = new StringBuilder();
        for (ModelFamily f : values()) {
            s.append(s.isEmpty() ? "" : ", ").append(f.modelType);
        }
        return s.toString();
    }

    public String modelType() {
        return modelType;
    }

    public boolean encoderDecoder() {
        return encoderDecoder;
    }

    /** Layer norm before each sublayer (GPT-2) rather than after its residual add (BART, Marian). */
    public boolean preNorm() {
        return preNorm;
    }

    public PositionKind positions() {
        return positions;
    }

    /** Rows of the learned position table before position 0 (BART's 2). */
    public int positionOffset() {
        return positionOffset;
    }

    public boolean layernormEmbedding() {
        return layernormEmbedding;
    }

    public boolean finalLayerNorm() {
        return finalLayerNorm;
    }

    /** Whether the family adds HF's {@code final_logits_bias} buffer to its logits. */
    public boolean finalLogitsBias() {
        return finalLogitsBias;
    }

    public Names names() {
        return names;
    }
}
