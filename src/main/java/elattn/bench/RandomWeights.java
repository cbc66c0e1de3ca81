package elattn.bench;

import elattn.kernel.FloatArray;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.model.ModelWeights.Attention;
import elattn.model.ModelWeights.Layer;
import elattn.model.ModelWeights.LayerNorm;
import elattn.model.ModelWeights.Linear;
import elattn.model.ModelWeights.Stack;
import elattn.model.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Seeded random weights of any {@link ModelConfig}, built directly (no checkpoint), distributed as
 * HF initialises a fresh model: linear weights, embeddings and position tables with standard
 * deviation {@code std} (HF's {@code init_std}/{@code initializer_range} is 0.02; here uniform in
 * {@code ±std·√3}, which has that deviation and is cheap to draw for 400M values), biases zero,
 * layer norms gain 1 and shift 0. Speed does not depend on the values; the benchmark forces the
 * number of new tokens anyway, so an early EOS cannot shorten a run.
 *
 * <p>Each array gets its own random stream (seed and array index), so the arrays fill in
 * parallel and the same seed gives the same weights.
 */
public final class RandomWeights {
    private RandomWeights() {
    }

    /** The weights of {@code config} for {@code seed}, in fp32. */
    public static ModelWeights<FloatArray> of(ModelConfig config, long seed, double std) {
        Filler f = new Filler(config.dModel());
        FloatArray tokens = f.random(config.vocabSize(), config.dModel());
        Stack<FloatArray> encoder = config.encoderDecoder()
                ? f.stack(config, tokens, config.encoderLayers(), config.encoderFfn(), false) : null;
        Stack<FloatArray> decoder = f.stack(config, tokens, config.decoderLayers(), config.decoderFfn(),
                config.encoderDecoder());
        ModelWeights<FloatArray> weights = new ModelWeights<>(Precision.FP32, encoder, decoder, tokens,
                new FloatArray(config.vocabSize()));
        float bound = (float) (std * Math.sqrt(3));
        IntStream.range(0, f.randomArrays.size()).parallel().forEach(i -> {
            FloatArray a = f.randomArrays.get(i);
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
            for (int j = 0, n = a.getSize(); j < n; j++) {
                a.set(j, (random.nextFloat() * 2 - 1) * bound);
            }
        });
        return weights;
    }

    /** Allocates the arrays of the structure; collects those to fill with random values. */
    private static final class Filler {
        final int d;
        final List<FloatArray> randomArrays = new ArrayList<>();

        Filler(int d) {
            this.d = d;
        }

        FloatArray random(int rows, int cols) {
            FloatArray a = new FloatArray(Math.multiplyExact(rows, cols));
            randomArrays.add(a);
            return a;
        }

        Stack<FloatArray> stack(ModelConfig config, FloatArray tokens, int layerCount, int ffn, boolean cross) {
            List<Layer<FloatArray>> layers = new ArrayList<>();
            for (int l = 0; l < layerCount; l++) {
                layers.add(new Layer<>(attention(), norm(), cross ? attention() : null, cross ? norm() : null,
                        linear(ffn, d), linear(d, ffn), norm()));
            }
            return new Stack<>(tokens, random(config.positionRows(), d), config.layernormEmbedding() ? norm() : null,
                    List.copyOf(layers), config.finalLayerNorm() ? norm() : null);
        }

        Attention<FloatArray> attention() {
            return new Attention<>(linear(d, d), linear(d, d), linear(d, d), linear(d, d));
        }

        Linear<FloatArray> linear(int out, int in) {
            return new Linear<>(random(out, in), new FloatArray(out), out, in);
        }

        LayerNorm<FloatArray> norm() {
            FloatArray gain = new FloatArray(d);
            gain.init(1f);
            return new LayerNorm<>(gain, new FloatArray(d));
        }
    }
}
