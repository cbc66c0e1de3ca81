package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelMath;
import elattn.kernel.Parallel;

/**
 * Element-wise activations of the feed-forward blocks over the first {@code n} elements: {@code out
 * = f(in)}, in place where {@code out == in}. {@code in} may be a product split along its depth, in
 * {@code splits} parts per element ({@code Gemm.weightsBlocked}'s layout, 1: plain), so that the
 * activation also adds fc1's parts (no separate {@code Gemm.sumSplits} launch).
 *
 * <p>One kernel per activation rather than one kernel with an activation code: the graph builder
 * picks the method reference once from the model's configuration, and the device code has no
 * per-element branch on a code. BART uses {@link #gelu} (HF {@code "gelu"}), GPT-2
 * {@link #geluTanh} ({@code "gelu_new"}), Marian {@link #silu} ({@code "swish"}); {@link #relu}
 * is the classic Transformer's. Loop form: any launch size.
 */
public final class Activations {
    /** sqrt(2 / pi), the tanh approximation's scale. */
    private static final float SQRT_2_OVER_PI = 0.7978845608028654f;
    /** 1 / sqrt(2). */
    private static final float INV_SQRT_2 = 0.7071067811865476f;

    private Activations() {
    }

    /** Exact GELU: {@code 0.5 x (1 + erf(x / sqrt 2))}. */
    public static void gelu(FloatArray in, int splits, FloatArray out, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = partsSum(in, i, splits);
            out.set(i, 0.5f * v * (1f + KernelMath.erf(v * INV_SQRT_2)));
        }
    }

    /** GELU, tanh approximation ({@code gelu_new}): {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
    public static void geluTanh(FloatArray in, int splits, FloatArray out, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = partsSum(in, i, splits);
            out.set(i, 0.5f * v * (1f + KernelMath.tanh(SQRT_2_OVER_PI * (v + 0.044715f * v * v * v))));
        }
    }

    /** ReLU: {@code max(x, 0)}. */
    public static void relu(FloatArray in, int splits, FloatArray out, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            out.set(i, KernelMath.max(partsSum(in, i, splits), 0f));
        }
    }

    /** SiLU (swish): {@code x / (1 + exp(-x))}. */
    public static void silu(FloatArray in, int splits, FloatArray out, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = partsSum(in, i, splits);
            out.set(i, v / (1f + KernelMath.exp(-v)));
        }
    }

    /**
     * {@code Gemm.partsSum}: element {@code i} of a product in {@code splits} parts, added in order
     * (the kernel language calls device functions of the kernel's own class only).
     */
    private static float partsSum(FloatArray parts, int i, int splits) {
        float sum = parts.get(i * splits);
        for (int s = 1; s < splits; s++) {
            sum += parts.get(i * splits + s);
        }
        return sum;
    }
}
