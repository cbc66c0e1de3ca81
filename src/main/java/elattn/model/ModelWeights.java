package elattn.model;

import elattn.kernel.NativeArray;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every weight of a model in one family-independent structure that device graph builders and the
 * reference model walk: embeddings, encoder and decoder stacks of layers, norms, LM head. Arrays
 * are row-major in the canonical layouts, whatever the checkpoint stored:
 * <ul>
 *   <li>linear weights (out, in) as PyTorch's {@code nn.Linear}; GPT-2's Conv1D (in, out) is
 *       transposed and its fused {@code c_attn} split into q, k and v;</li>
 *   <li>every linear layer has a bias (zeros where the checkpoint has none);</li>
 *   <li>token embedding (vocab, d); position table (positionRows, d), row {@code pos + positionOffset}
 *       of {@link ModelConfig}; Marian's sinusoidal table computed as HF computes it;</li>
 *   <li>the LM head (vocab, d) is the token embedding array itself when tied;
 *       {@link #finalLogitsBias} (vocab) is zeros when the family or checkpoint has none.</li>
 * </ul>
 * Tied tensors are one array (encoder and decoder embeddings, LM head). Weights stored in the
 * requested precision are views of the checkpoint's memory map: they live until the
 * {@link Checkpoint} is closed.
 *
 * @param <A> the array class, from the {@link Precision} the weights were loaded in
 * @param precision       the precision of every array
 * @param encoder         the encoder stack, or null for a decoder-only model
 * @param decoder         the decoder stack
 * @param lmHead          (vocab, d) output projection, the token embedding when tied
 * @param finalLogitsBias (vocab) added to the logits
 */
public record ModelWeights<A extends NativeArray>(Precision<A> precision, Stack<A> encoder, Stack<A> decoder,
        A lmHead, A finalLogitsBias) {

    /**
     * An encoder or decoder: embeddings, layers, optional norms.
     *
     * @param tokenEmbedding (vocab, d), shared by encoder and decoder when tied
     * @param positions      (positionRows, d) learned or sinusoidal position table
     * @param embeddingNorm  layer norm after the embeddings (BART), or null
     * @param layers         the layers in order
     * @param finalNorm      layer norm after the last layer (GPT-2's ln_f), or null
     */
    public record Stack<A extends NativeArray>(A tokenEmbedding, A positions, LayerNorm<A> embeddingNorm,
            List<Layer<A>> layers, LayerNorm<A> finalNorm) {
    }

    /**
     * One transformer layer. Where each norm sits (before the sublayer or after its residual add)
     * is {@link ModelConfig#preNorm()}.
     *
     * @param selfAttention  self-attention (causal in a decoder)
     * @param selfNorm       its layer norm
     * @param crossAttention attention over the encoder output (decoder of an encoder-decoder), or null
     * @param crossNorm      its layer norm, or null
     * @param fc1            (ffn, d)
     * @param fc2            (d, ffn)
     * @param ffnNorm        the feed-forward sublayer's layer norm
     */
    public record Layer<A extends NativeArray>(Attention<A> selfAttention, LayerNorm<A> selfNorm,
            Attention<A> crossAttention, LayerNorm<A> crossNorm, Linear<A> fc1, Linear<A> fc2, LayerNorm<A> ffnNorm) {
    }

    /** Multi-head attention projections, each (d, d) with a (d) bias; heads are contiguous row blocks. */
    public record Attention<A extends NativeArray>(Linear<A> q, Linear<A> k, Linear<A> v, Linear<A> out) {
    }

    /** {@code y = x Wᵀ + b} with W (outFeatures, inFeatures) row-major and b (outFeatures). */
    public record Linear<A extends NativeArray>(A weight, A bias, int outFeatures, int inFeatures) {
    }

    /** Layer-norm gain and shift, (d) each. */
    public record LayerNorm<A extends NativeArray>(A weight, A bias) {
    }

    /** Loads every weight of {@code checkpoint}, described by {@code config}, in {@code precision}. */
    public static <A extends NativeArray> ModelWeights<A> load(Checkpoint checkpoint, ModelConfig config,
            Precision<A> precision) {
        return new Loader<>(checkpoint, config, precision).load();
    }

    /**
     * The sinusoidal position table of HF's {@code MarianSinusoidalPositionalEmbedding}: for
     * {@code j < ceil(d/2)}, column j is {@code sin(pos / 10000^(2j/d))} and column
     * {@code ceil(d/2) + j} is {@code cos(pos / 10000^(2j/d))} (not interleaved), computed in double
     * and rounded to float as HF's numpy code does. Returns (rows, d) row-major.
     */
    public static float[] sinusoidalPositions(int rows, int d) {
        int sentinel = (d + 1) / 2;
        float[] out = new float[rows * d];
        for (int pos = 0; pos < rows; pos++) {
            for (int j = 0; j < d; j++) {
                double angle = pos / Math.pow(10000, 2.0 * (j / 2) / d);
                if (j % 2 == 0) {
                    out[pos * d + j / 2] = (float) Math.sin(angle);
                } else {
                    out[pos * d + sentinel + j / 2] = (float) Math.cos(angle);
                }
            }
        }
        return out;
    }

    /** Finds, checks and converts the tensors of one checkpoint. */
    private static final class Loader<A extends NativeArray> {
        private final Checkpoint checkpoint;
        private final ModelConfig config;
        private final Precision<A> precision;
        private final ModelFamily.Names names;
        private final int d;

        Loader(Checkpoint checkpoint, ModelConfig config, Precision<A> precision) {
            this.checkpoint = checkpoint;
            this.config = config;
            this.precision = precision;
            this.names = config.family().names();
            this.d = config.dModel();
        }

        ModelWeights<A> load() {
            A tokens = tokenEmbedding();
            A sinusoids = config.positions() == ModelFamily.PositionKind.SINUSOIDAL
                    ? precision.of(sinusoidalPositions(config.positionRows(), d)) : null;
            Stack<A> encoder = config.encoderDecoder()
                    ? stack(names.encoder(), tokens, sinusoids, config.encoderLayers(), config.encoderFfn(), false) : null;
            Stack<A> decoder = stack(names.decoder(), tokens, sinusoids, config.decoderLayers(), config.decoderFfn(),
                    config.encoderDecoder());
            A lmHead = config.tieWordEmbeddings() ? tokens : array(names.lmHead(), config.vocabSize(), d);
            A bias = config.finalLogitsBias() && find(names.finalLogitsBias()) != null
                    ? array(names.finalLogitsBias(), 1, config.vocabSize())
                    : precision.of(new float[config.vocabSize()]);
            return new ModelWeights<>(precision, encoder, decoder, lmHead, bias);
        }

        private A tokenEmbedding() {
            List<String> candidates = new ArrayList<>();
            candidates.add(names.tokenEmbedding());
            candidates.addAll(names.tokenAliases());
            for (String name : candidates) {
                if (find(name) != null) {
                    return array(name, config.vocabSize(), d);
                }
            }
            throw missing(names.tokenEmbedding() + " (the token embedding; also looked for " + names.tokenAliases() + ")");
        }

        private Stack<A> stack(String prefix, A tokens, A sinusoids, int layerCount, int ffn, boolean cross) {
            A positions = sinusoids != null ? sinusoids : array(prefix + names.positions(), config.positionRows(), d);
            LayerNorm<A> embeddingNorm = config.layernormEmbedding() ? norm(prefix + names.embeddingNorm()) : null;
            List<Layer<A>> layers = new ArrayList<>();
            for (int i = 0; i < layerCount; i++) {
                String p = prefix + names.layer().formatted(i);
                layers.add(new Layer<>(attention(p + names.selfAttention()), norm(p + names.selfNorm()),
                        cross ? attention(p + names.crossAttention()) : null, cross ? norm(p + names.crossNorm()) : null,
                        linear(p + names.fc1(), ffn, d), linear(p + names.fc2(), d, ffn), norm(p + names.ffnNorm())));
            }
            LayerNorm<A> finalNorm = config.finalLayerNorm() && names.finalNorm() != null
                    && prefix.equals(names.decoder()) ? norm(prefix + names.finalNorm()) : null;
            return new Stack<>(tokens, positions, embeddingNorm, List.copyOf(layers), finalNorm);
        }

        private Attention<A> attention(String p) {
            Linear<A> out = linear(p + names.out(), d, d);
            if (names.fusedQkv() == null) {
                return new Attention<>(linear(p + names.q(), d, d), linear(p + names.k(), d, d), linear(p + names.v(), d, d), out);
            }
            String name = p + names.fusedQkv();
            Tensor w = tensor(name + ".weight", names.conv1d() ? new long[] {d, 3L * d} : new long[] {3L * d, d});
            Tensor b = tensor(name + ".bias", 3L * d);
            List<Linear<A>> qkv = new ArrayList<>();
            for (int part = 0; part < 3; part++) {
                A weight = names.conv1d() ? precision.of(transposedColumns(w, d, part * d, d))
                        : precision.of(slice(w, (long) part * d * d, (long) d * d));
                qkv.add(new Linear<>(weight, precision.of(slice(b, (long) part * d, d)), d, d));
            }
            return new Attention<>(qkv.get(0), qkv.get(1), qkv.get(2), out);
        }

        private Linear<A> linear(String name, int out, int in) {
            Tensor w = tensor(name + ".weight", names.conv1d() ? new long[] {in, out} : new long[] {out, in});
            A weight = names.conv1d() ? precision.of(transposedColumns(w, in, 0, out)) : precision.of(w);
            String biasName = name + ".bias";
            A bias = find(biasName) != null ? array(biasName, out) : precision.of(new float[out]);
            return new Linear<>(weight, bias, out, in);
        }

        private LayerNorm<A> norm(String name) {
            return new LayerNorm<>(array(name + ".weight", d), array(name + ".bias", d));
        }

        private A array(String name, long... shape) {
            return precision.of(tensor(name, shape));
        }

        /** Columns [from, from+count) of an (rows, cols) tensor, transposed to (count, rows). */
        private static float[] transposedColumns(Tensor t, int rows, int from, int count) {
            long cols = t.shape()[1];
            float[] out = new float[count * rows];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < count; c++) {
                    out[c * rows + r] = t.getFloat(r * cols + from + c);
                }
            }
            return out;
        }

        /** Elements [from, from+count) of a tensor as a 1-D tensor viewing the same bytes. */
        private static Tensor slice(Tensor t, long from, long count) {
            MemorySegment bytes = t.data().asSlice(from * t.dtype().bytes(), count * t.dtype().bytes());
            return new Tensor(t.name(), t.dtype(), new long[] {count}, bytes);
        }

        /** The tensor, checked against the shape the config implies. */
        private Tensor tensor(String name, long... shape) {
            Tensor t = find(name);
            if (t == null) {
                throw missing(name);
            }
            if (!Arrays.equals(t.shape(), shape)) {
                throw new CheckpointException(checkpoint.fileOf(t.name()), "tensor " + t.name() + " has shape "
                        + Tensor.shapeText(t.shape()) + " but config.json implies " + Tensor.shapeText(shape));
            }
            return t;
        }

        /** A tensor by HF name, also without the family's optional prefix (GPT-2 base checkpoints). */
        private Tensor find(String name) {
            Tensor t = checkpoint.tensors().get(name);
            String prefix = names.optionalPrefix();
            if (t == null && prefix != null && name.startsWith(prefix)) {
                t = checkpoint.tensors().get(name.substring(prefix.length()));
            }
            return t;
        }

        private CheckpointException missing(String name) {
            Path file = checkpoint.fileOf(name);
            return new CheckpointException(file, "has no tensor " + name + ", which a " + config.family().modelType()
                    + " model with this config.json needs (incomplete or mismatched checkpoint)");
        }
    }
}
