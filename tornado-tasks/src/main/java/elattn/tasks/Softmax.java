package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.KernelMath;

/**
 * Row-wise softmax in place over a {@code rows x cols} row-major matrix, the numerically stable way:
 * {@code x - max(x)} before {@code exp}.
 *
 * <p>One work-group of {@value #GROUP} items per row: the items stride over the row, then combine
 * their partial maxima and sums with a tree reduction in local memory. Launch with global size
 * {@code rows * GROUP} and local size {@code GROUP}.
 */
public final class Softmax {
    /** Work-group size of {@link #rows}: one group per row. */
    public static final int GROUP = 256;

    private Softmax() {
    }

    public static void rows(KernelContext ctx, FloatArray x, int cols) {
        float[] partial = ctx.allocateFloatLocalArray(GROUP);
        int l = ctx.localIdx;
        int base = ctx.groupIdx * cols;

        float max = Float.NEGATIVE_INFINITY;
        for (int j = l; j < cols; j += GROUP) {
            max = KernelMath.max(max, x.get(base + j));
        }
        partial[l] = max;
        for (int s = GROUP / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                partial[l] = KernelMath.max(partial[l], partial[l + s]);
            }
        }
        ctx.localBarrier();
        max = partial[0];
        ctx.localBarrier();

        float sum = 0f;
        for (int j = l; j < cols; j += GROUP) {
            float e = KernelMath.exp(x.get(base + j) - max);
            x.set(base + j, e);
            sum += e;
        }
        partial[l] = sum;
        for (int s = GROUP / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                partial[l] += partial[l + s];
            }
        }
        ctx.localBarrier();
        float inverse = 1f / partial[0];
        for (int j = l; j < cols; j += GROUP) {
            x.set(base + j, x.get(base + j) * inverse);
        }
    }
}
