package elattn.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import elattn.io.JsonFile;
import elattn.io.OneLine;
import java.nio.file.Path;

/**
 * What the loader, the device graphs and the reference model need to know about a model, whatever
 * its family: sizes, architecture switches and special token ids, parsed from a checkpoint's
 * {@code config.json} ({@link ModelFamily} supplies what the family fixes, e.g. BART's position
 * offset). Everything a kernel's arithmetic depends on (layer-norm eps, activation, positions,
 * embedding scale, norm placement) is here, so no code downstream branches on the family.
 *
 * <p>Token ids are -1 where config.json has none (or null). For a decoder-only model the "encoder"
 * sizes are 0.
 *
 * @param family              the model family
 * @param vocabSize           token embedding rows and logits width
 * @param dModel              hidden size
 * @param encoderLayers       encoder layers (0 for decoder-only)
 * @param decoderLayers       decoder layers
 * @param encoderHeads        encoder attention heads (0 for decoder-only)
 * @param decoderHeads        decoder attention heads
 * @param encoderFfn          encoder feed-forward inner size (0 for decoder-only)
 * @param decoderFfn          decoder feed-forward inner size
 * @param maxPositions        longest sequence the position table covers
 * @param activation          feed-forward activation
 * @param layerNormEps        epsilon of every layer norm
 * @param scaleEmbedding      whether token embeddings are multiplied by √dModel ({@link #embedScale()})
 * @param tieWordEmbeddings   whether the LM head is the token embedding
 * @param padTokenId          padding token, or -1
 * @param bosTokenId          beginning-of-sequence token, or -1
 * @param eosTokenId          end-of-sequence token (the first one when config.json lists several), or -1
 * @param decoderStartTokenId first decoder input of an encoder-decoder, or -1
 * @param forcedBosTokenId    config.json's forced_bos_token_id, or -1 (generation_config.json has the final word)
 * @param forcedEosTokenId    config.json's forced_eos_token_id, or -1
 */
public record ModelConfig(ModelFamily family, int vocabSize, int dModel, int encoderLayers, int decoderLayers,
        int encoderHeads, int decoderHeads, int encoderFfn, int decoderFfn, int maxPositions, Activation activation,
        double layerNormEps, boolean scaleEmbedding, boolean tieWordEmbeddings, int padTokenId, int bosTokenId,
        int eosTokenId, int decoderStartTokenId, int forcedBosTokenId, int forcedEosTokenId) {

    /** PyTorch's {@code nn.LayerNorm} default, which BART and Marian use (their configs have no eps). */
    static final double TORCH_LAYER_NORM_EPS = 1e-5;

    /** Parses the checkpoint's config.json. */
    public static ModelConfig of(Checkpoint checkpoint) {
        return parse(checkpoint.config(), checkpoint.dir().resolve(Checkpoint.CONFIG));
    }

    /** Parses a config.json object; {@code file} names it in errors. */
    public static ModelConfig parse(JsonObject json, Path file) {
        Reader r = new Reader(json, file);
        String type = r.string("model_type", null);
        if (type == null) {
            throw new CheckpointException(file, "has no model_type; supported are " + ModelFamily.supported());
        }
        ModelFamily family = ModelFamily.ofModelType(type);
        if (family == null) {
            throw new CheckpointException(file, "model_type \"" + OneLine.brief(type) + "\" is not supported; supported are "
                    + ModelFamily.supported());
        }
        ModelConfig c = switch (family) {
            case BART, MARIAN -> seq2seq(family, r);
            case GPT2 -> gpt2(r);
        };
        c.check(file);
        return c;
    }

    private static ModelConfig seq2seq(ModelFamily family, Reader r) {
        int vocab = r.integer("vocab_size");
        if (family == ModelFamily.MARIAN) {
            if (!r.bool("share_encoder_decoder_embeddings", true)) {
                r.unsupported("share_encoder_decoder_embeddings false (separate decoder embeddings)");
            }
            if (r.optInteger("decoder_vocab_size", vocab) != vocab) {
                r.unsupported("decoder_vocab_size different from vocab_size");
            }
        }
        return new ModelConfig(family, vocab, r.integer("d_model"),
                r.integer("encoder_layers"), r.integer("decoder_layers"),
                r.integer("encoder_attention_heads"), r.integer("decoder_attention_heads"),
                r.integer("encoder_ffn_dim"), r.integer("decoder_ffn_dim"),
                r.integer("max_position_embeddings"),
                Activation.fromHf(r.string("activation_function", "gelu"), r.file),
                TORCH_LAYER_NORM_EPS, r.bool("scale_embedding", false), r.bool("tie_word_embeddings", true),
                r.optInteger("pad_token_id", -1), r.optInteger("bos_token_id", -1), r.optInteger("eos_token_id", -1),
                r.optInteger("decoder_start_token_id", -1), r.optInteger("forced_bos_token_id", -1),
                r.optInteger("forced_eos_token_id", -1));
    }

    private static ModelConfig gpt2(Reader r) {
        if (!r.bool("scale_attn_weights", true)) {
            r.unsupported("scale_attn_weights false");
        }
        if (r.bool("scale_attn_by_inverse_layer_idx", false)) {
            r.unsupported("scale_attn_by_inverse_layer_idx true");
        }
        if (r.bool("add_cross_attention", false)) {
            r.unsupported("add_cross_attention true");
        }
        int d = r.integer("n_embd");
        return new ModelConfig(ModelFamily.GPT2, r.integer("vocab_size"), d, 0, r.integer("n_layer"),
                0, r.integer("n_head"), 0, r.optInteger("n_inner", (int) Math.min(4L * d, Integer.MAX_VALUE)),
                r.integer("n_positions"),
                Activation.fromHf(r.string("activation_function", "gelu_new"), r.file),
                r.number("layer_norm_epsilon", TORCH_LAYER_NORM_EPS), false, r.bool("tie_word_embeddings", true),
                r.optInteger("pad_token_id", -1), r.optInteger("bos_token_id", -1), r.optInteger("eos_token_id", -1),
                -1, r.optInteger("forced_bos_token_id", -1), r.optInteger("forced_eos_token_id", -1));
    }

    private void check(Path file) {
        positive(file, "vocab size", vocabSize);
        positive(file, "hidden size", dModel);
        positive(file, "decoder layers", decoderLayers);
        positive(file, "max positions", maxPositions);
        heads(file, "decoder", decoderHeads);
        positive(file, "decoder ffn size", decoderFfn);
        if (((long) maxPositions + positionOffset()) * dModel > Integer.MAX_VALUE) {
            throw new CheckpointException(file, "max positions " + maxPositions + " times hidden size " + dModel
                    + " is more than a position table can hold (2^31 - 1 values); the config is corrupt");
        }
        if (!Double.isFinite(layerNormEps) || layerNormEps < 0) {
            throw new CheckpointException(file, "layer_norm_epsilon is " + layerNormEps
                    + "; it must be a small non-negative number such as 1e-5");
        }
        if (encoderDecoder()) {
            positive(file, "encoder layers", encoderLayers);
            heads(file, "encoder", encoderHeads);
            positive(file, "encoder ffn size", encoderFfn);
            if (decoderStartTokenId < 0) {
                throw new CheckpointException(file, "an encoder-decoder model needs decoder_start_token_id");
            }
        }
    }

    private static void positive(Path file, String what, int value) {
        if (value <= 0) {
            throw new CheckpointException(file, what + " is " + value + "; it must be positive");
        }
    }

    private void heads(Path file, String stack, int heads) {
        positive(file, stack + " attention heads", heads);
        if (dModel % heads != 0) {
            throw new CheckpointException(file, "hidden size " + dModel + " is not a multiple of the " + heads + " "
                    + stack + " attention heads");
        }
    }

    public boolean encoderDecoder() {
        return family.encoderDecoder();
    }

    /** Layer norm before each sublayer (pre-norm, GPT-2) instead of after its residual add (post-norm). */
    public boolean preNorm() {
        return family.preNorm();
    }

    public ModelFamily.PositionKind positions() {
        return family.positions();
    }

    /** Row of the position table for position 0 (BART 2, others 0). */
    public int positionOffset() {
        return family.positionOffset();
    }

    /** Rows of the position table: {@code maxPositions + positionOffset}. */
    public int positionRows() {
        return maxPositions + positionOffset();
    }

    /** Whether a layer norm follows the embeddings (BART's layernorm_embedding). */
    public boolean layernormEmbedding() {
        return family.layernormEmbedding();
    }

    /** Whether a layer norm follows the last decoder layer (GPT-2's ln_f). */
    public boolean finalLayerNorm() {
        return family.finalLayerNorm();
    }

    /** Whether the family adds a {@code final_logits_bias} (zeros when the checkpoint lacks it). */
    public boolean finalLogitsBias() {
        return family.finalLogitsBias();
    }

    /** Factor applied to token embeddings: √dModel with scale_embedding, else 1. */
    public double embedScale() {
        return scaleEmbedding ? Math.sqrt(dModel) : 1.0;
    }

    public int encoderHeadDim() {
        return encoderHeads == 0 ? 0 : dModel / encoderHeads;
    }

    public int decoderHeadDim() {
        return dModel / decoderHeads;
    }

    /** Reads config.json values with errors that name the file and key. */
    private record Reader(JsonObject json, Path file) {
        private JsonElement get(String key) {
            JsonElement e = json.get(key);
            return e == null || e.isJsonNull() ? null : e;
        }

        int integer(String key) {
            JsonElement e = get(key);
            if (e == null) {
                throw new CheckpointException(file, "has no " + key);
            }
            return asInt(key, e);
        }

        int optInteger(String key, int absent) {
            JsonElement e = get(key);
            if (e != null && e.isJsonArray()) {
                // eos_token_id may list several ids; the first is the model's own.
                e = e.getAsJsonArray().isEmpty() ? null : e.getAsJsonArray().get(0);
            }
            return e == null ? absent : asInt(key, e);
        }

        private int asInt(String key, JsonElement e) {
            try {
                double v = e.getAsDouble();
                if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                    throw new NumberFormatException(e.toString());
                }
                return (int) v;
            } catch (RuntimeException x) {
                throw new CheckpointException(file, key + " must be an integer, not " + JsonFile.brief(e));
            }
        }

        double number(String key, double absent) {
            JsonElement e = get(key);
            try {
                return e == null ? absent : e.getAsDouble();
            } catch (RuntimeException x) {
                throw new CheckpointException(file, key + " must be a number, not " + JsonFile.brief(e));
            }
        }

        boolean bool(String key, boolean absent) {
            JsonElement e = get(key);
            if (e == null) {
                return absent;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw new CheckpointException(file, key + " must be true or false, not " + JsonFile.brief(e));
            }
            return e.getAsBoolean();
        }

        String string(String key, String absent) {
            JsonElement e = get(key);
            if (e != null && !(e.isJsonPrimitive() && e.getAsJsonPrimitive().isString())) {
                throw new CheckpointException(file, key + " must be a string, not " + JsonFile.brief(e));
            }
            return e == null ? absent : e.getAsString();
        }

        void unsupported(String what) {
            throw new CheckpointException(file, what + " is not supported for model_type "
                    + json.get("model_type").getAsString());
        }
    }
}
