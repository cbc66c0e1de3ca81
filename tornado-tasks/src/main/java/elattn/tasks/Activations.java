package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelMath;
import elattn.kernel.Parallel;

/**
 * Element-wise activations of the feed-forward blocks, in place over the first {@code n} elements.
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

    /** Exact GELU: {@code x = 0.5 x (1 + erf(x / sqrt 2))}. */
    public static void gelu(FloatArray x, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = x.get(i);
            x.set(i, 0.5f * v * (1f + KernelMath.erf(v * INV_SQRT_2)));
        }
    }

    /** GELU, tanh approximation ({@code gelu_new}): {@code x = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}. */
    public static void geluTanh(FloatArray x, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = x.get(i);
            x.set(i, 0.5f * v * (1f + KernelMath.tanh(SQRT_2_OVER_PI * (v + 0.044715f * v * v * v))));
        }
    }

    /** ReLU: {@code x = max(x, 0)}. */
    public static void relu(FloatArray x, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            x.set(i, KernelMath.max(x.get(i), 0f));
        }
    }

    /** SiLU (swish): {@code x = x / (1 + exp(-x))}. */
    public static void silu(FloatArray x, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float v = x.get(i);
            x.set(i, v / (1f + KernelMath.exp(-v)));
        }
    }
}
