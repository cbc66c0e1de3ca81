package elattn.model;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.NativeArray;
import java.util.function.Function;

/**
 * The element type weights are loaded in, with the array class it gives ({@link #FP32} gives
 * {@link FloatArray}s, {@link #FP16} {@link HalfFloatArray}s), so {@link ModelWeights} is one class
 * tree for every precision. A tensor already stored in the requested type is a view of the
 * memory-mapped file; any other is converted once.
 *
 * @param <A> the array class of the weights
 */
public final class Precision<A extends NativeArray> {
    /** fp32: what the project computes in; F16 and BF16 tensors are widened exactly. */
    public static final Precision<FloatArray> FP32 = new Precision<>("fp32", Tensor::toFloatArray, FloatArray::fromArray);
    /** fp16: half the memory; F32 and BF16 tensors are rounded to nearest. */
    public static final Precision<HalfFloatArray> FP16 =
            new Precision<>("fp16", Tensor::toHalfFloatArray, HalfFloatArray::fromArray);

    private final String name;
    private final Function<Tensor, A> fromTensor;
    private final Function<float[], A> fromFloats;

    private Precision(String name, Function<Tensor, A> fromTensor, Function<float[], A> fromFloats) {
        this.name = name;
        this.fromTensor = fromTensor;
        this.fromFloats = fromFloats;
    }

    A of(Tensor t) {
        return fromTensor.apply(t);
    }

    A of(float[] values) {
        return fromFloats.apply(values);
    }

    @Override
    public String toString() {
        return name;
    }
}
