package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.KernelMath;
import elattn.kernel.Parallel;

/**
 * Row-wise softmax in place over a {@code rows x cols} row-major matrix, the numerically stable way:
 * {@code x - max(x)} before {@code exp}.
 *
 * <p>Two forms of the same function. {@link #rows} is the GPU form: one work-group of
 * {@value #GROUP} items per row, which stride over the row and then combine their partial maxima
 * and sums with a tree reduction in local memory. {@link #rowsLoop} is the loop form, one row per
 * parallel iteration, for devices with few cores (the JVM) where a work-group's barriers cost more
 * than they save.
 */
public final class Softmax {
    /** Work-group size of {@link #rows}: one group per row. */
    public static final int GROUP = 256;

    private Softmax() {
    }

    /** Softmax of every row; one parallel iteration per row. */
    public static void rowsLoop(FloatArray x, int rowCount, int cols) {
        for (@Parallel int row = 0; row < rowCount; row++) {
            int base = row * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = KernelMath.max(max, x.get(base + j));
            }
            float sum = 0f;
            for (int j = 0; j < cols; j++) {
                float e = KernelMath.exp(x.get(base + j) - max);
                x.set(base + j, e);
                sum += e;
            }
            float inverse = 1f / sum;
            for (int j = 0; j < cols; j++) {
                x.set(base + j, x.get(base + j) * inverse);
            }
        }
    }

    /**
     * Softmax of every row; launch with global size {@code rows * GROUP} and local size
     * {@code GROUP}.
     */
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
