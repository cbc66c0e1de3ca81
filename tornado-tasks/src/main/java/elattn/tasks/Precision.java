package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.Parallel;

/**
 * Changes of storage precision between kernels: an fp32 result that the next kernel reads in fp16
 * (the encoder's keys and values for {@code TensorCoreAttention.fused}, which copies its tiles 16
 * bytes at a time without converting them).
 */
public final class Precision {
    private Precision() {
    }

    /** {@code dst[i] = src[i]} rounded to fp16 (to nearest even), for {@code i < n}. */
    public static void toHalf(FloatArray src, HalfFloatArray dst, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            dst.set(i, src.get(i));
        }
    }
}
