package elattn.bench;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.NativeArray;
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
import java.util.function.IntFunction;
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
 * parallel and the same seed gives the same weights; in fp16 they are those values rounded.
 */
public final class RandomWeights {
    private RandomWeights() {
    }

    /** The weights of {@code config} for {@code seed}, in fp32. */
    public static ModelWeights<FloatArray> of(ModelConfig config, long seed, double std) {
        return of(config, seed, std, Precision.FP32);
    }

    /** The weights of {@code config} for {@code seed}, stored in {@code precision}. */
    public static <A extends NativeArray> ModelWeights<A> of(ModelConfig config, long seed, double std,
            Precision<A> precision) {
        Filler<A> f = new Filler<>(config.dModel(), storage(precision));
        A tokens = f.random(config.vocabSize(), config.dModel());
        Stack<A> encoder = config.encoderDecoder()
                ? f.stack(config, tokens, config.encoderLayers(), config.encoderFfn(), false) : null;
        Stack<A> decoder = f.stack(config, tokens, config.decoderLayers(), config.decoderFfn(),
                config.encoderDecoder());
        ModelWeights<A> weights = new ModelWeights<>(precision, encoder, decoder, tokens,
                f.storage.allocate().apply(config.vocabSize()));
        float bound = (float) (std * Math.sqrt(3));
        IntStream.range(0, f.randomArrays.size()).parallel().forEach(i -> {
            A a = f.randomArrays.get(i);
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
            for (int j = 0, n = a.getSize(); j < n; j++) {
                f.storage.set().set(a, j, (random.nextFloat() * 2 - 1) * bound);
            }
        });
        return weights;
    }

    /** How arrays of one precision are made (zero-filled) and written. */
    private record Storage<A extends NativeArray>(IntFunction<A> allocate, Setter<A> set) {
    }

    private interface Setter<A> {
        void set(A array, int index, float value);
    }

    @SuppressWarnings("unchecked") // the two Precision constants fix A: FP32 is FloatArray, FP16 HalfFloatArray
    private static <A extends NativeArray> Storage<A> storage(Precision<A> precision) {
        if (precision == Precision.FP32) {
            return (Storage<A>) new Storage<FloatArray>(FloatArray::new, FloatArray::set);
        }
        if (precision == Precision.FP16) {
            return (Storage<A>) new Storage<HalfFloatArray>(HalfFloatArray::new, HalfFloatArray::set);
        }
        throw new IllegalArgumentException("no random weights in " + precision);
    }

    /** Allocates the arrays of the structure; collects those to fill with random values. */
    private static final class Filler<A extends NativeArray> {
        final int d;
        final Storage<A> storage;
        final List<A> randomArrays = new ArrayList<>();

        Filler(int d, Storage<A> storage) {
            this.d = d;
            this.storage = storage;
        }

        A random(int rows, int cols) {
            A a = storage.allocate().apply(Math.multiplyExact(rows, cols));
            randomArrays.add(a);
            return a;
        }

        Stack<A> stack(ModelConfig config, A tokens, int layerCount, int ffn, boolean cross) {
            List<Layer<A>> layers = new ArrayList<>();
            for (int l = 0; l < layerCount; l++) {
                layers.add(new Layer<>(attention(), norm(), cross ? attention() : null, cross ? norm() : null,
                        linear(ffn, d), linear(d, ffn), norm()));
            }
            return new Stack<>(tokens, random(config.positionRows(), d), config.layernormEmbedding() ? norm() : null,
                    List.copyOf(layers), config.finalLayerNorm() ? norm() : null);
        }

        Attention<A> attention() {
            return new Attention<>(linear(d, d), linear(d, d), linear(d, d), linear(d, d));
        }

        Linear<A> linear(int out, int in) {
            return new Linear<>(random(out, in), storage.allocate().apply(out), out, in);
        }

        LayerNorm<A> norm() {
            A gain = storage.allocate().apply(d);
            for (int i = 0; i < d; i++) {
                storage.set().set(gain, i, 1f);
            }
            return new LayerNorm<>(gain, storage.allocate().apply(d));
        }
    }
}
