package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.KernelMath;
import elattn.kernel.Parallel;

/**
 * Layer normalisation of each row of a (rows, d) row-major matrix, as PyTorch's
 * {@code nn.LayerNorm} (biased variance):
 * {@code y[r, j] = (x[r, j] - mean_r) / sqrt(var_r + eps) * gamma[j] + beta[j]} with
 * {@code mean_r = sum_j x[r, j] / d}, {@code var_r = sum_j (x[r, j] - mean_r)^2 / d} (two passes,
 * so large means do not cancel).
 *
 * <p>{@code in == out} is allowed in every form: a row's statistics are complete before any of its
 * elements is written, and each element is written by the work item that last read it.
 *
 * <p>{@link #rows} and {@link #residualRows} are loop forms, one row per parallel iteration (the
 * JVM form, and fine on a GPU when there are many rows); {@link #rowsGroup} and
 * {@link #residualRowsGroup} are their GPU forms for few long rows (decode steps): one work-group of
 * {@value #GROUP} items per row with local-memory reductions.
 */
public final class LayerNorm {
    /** Work-group size of {@link #rowsGroup} and {@link #residualRowsGroup}: one group per row. */
    public static final int GROUP = 256;

    private LayerNorm() {
    }

    /** {@code out = LayerNorm(in)} per row; gamma, beta: (d). Loop form: any launch size. */
    public static void rows(FloatArray in, FloatArray out, FloatArray gamma, FloatArray beta, int rows, int d,
            float eps) {
        for (@Parallel int r = 0; r < rows; r++) {
            normalizeRow(in, out, r * d, gamma, beta, d, eps);
        }
    }

    /**
     * Post-norm residual: {@code x += y}, then {@code out = LayerNorm(x)} per row ({@code x} keeps
     * the sum; {@code out == x} allowed). {@code y} may be a product in {@code splits} parts per
     * element ({@link #partsSum}; 1: plain). Loop form: any launch size.
     */
    public static void residualRows(FloatArray x, FloatArray y, int splits, FloatArray out, FloatArray gamma,
            FloatArray beta, int rows, int d, float eps) {
        for (@Parallel int r = 0; r < rows; r++) {
            int base = r * d;
            for (int j = 0; j < d; j++) {
                x.set(base + j, x.get(base + j) + partsSum(y, base + j, splits));
            }
            normalizeRow(x, out, base, gamma, beta, d, eps);
        }
    }

    private static void normalizeRow(FloatArray in, FloatArray out, int base, FloatArray gamma, FloatArray beta,
            int d, float eps) {
        float sum = 0f;
        for (int j = 0; j < d; j++) {
            sum += in.get(base + j);
        }
        float mean = sum / d;
        float squares = 0f;
        for (int j = 0; j < d; j++) {
            float diff = in.get(base + j) - mean;
            squares += diff * diff;
        }
        float inverse = KernelMath.rsqrt(squares / d + eps);
        for (int j = 0; j < d; j++) {
            out.set(base + j, (in.get(base + j) - mean) * inverse * gamma.get(j) + beta.get(j));
        }
    }

    /**
     * {@code out = LayerNorm(in)} per row, one work-group per row. Launch with global size
     * {@code rows * GROUP} and local size {@code GROUP} (1-D); group {@code g} normalises row
     * {@code g}.
     */
    public static void rowsGroup(KernelContext ctx, FloatArray in, FloatArray out, FloatArray gamma, FloatArray beta,
            int d, float eps) {
        float[] partial = ctx.allocateFloatLocalArray(GROUP);
        int l = ctx.localIdx;
        int base = ctx.groupIdx * d;

        float sum = 0f;
        for (int j = l; j < d; j += GROUP) {
            sum += in.get(base + j);
        }
        partial[l] = sum;
        for (int s = GROUP / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                partial[l] += partial[l + s];
            }
        }
        ctx.localBarrier();
        float mean = partial[0] / d;
        ctx.localBarrier();

        float squares = 0f;
        for (int j = l; j < d; j += GROUP) {
            float diff = in.get(base + j) - mean;
            squares += diff * diff;
        }
        partial[l] = squares;
        for (int s = GROUP / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                partial[l] += partial[l + s];
            }
        }
        ctx.localBarrier();
        float inverse = KernelMath.rsqrt(partial[0] / d + eps);
        for (int j = l; j < d; j += GROUP) {
            out.set(base + j, (in.get(base + j) - mean) * inverse * gamma.get(j) + beta.get(j));
        }
    }

    /**
     * Post-norm residual, one work-group per row: {@code x += y}, then {@code out = LayerNorm(x)}
     * ({@code x} keeps the sum; {@code out == x} allowed; {@code y} in {@code splits} parts), as
     * {@link #residualRows}. Launch with
     * global size at least {@code rows * GROUP} and local size {@code GROUP} (1-D); group {@code g}
     * handles row {@code g}, groups at or past {@code rows} do nothing. Each item adds, reads and
     * writes the same elements ({@code j = l, l + GROUP, ...}), so the sum needs no barrier before
     * the reductions.
     */
    public static void residualRowsGroup(KernelContext ctx, FloatArray x, FloatArray y, int splits, FloatArray out,
            FloatArray gamma, FloatArray beta, int rows, int d, float eps) {
        float[] partial = ctx.allocateFloatLocalArray(GROUP);
        int g = ctx.groupIdx;
        if (g >= rows) {
            return; // the whole group leaves: no barrier is skipped by part of a group
        }
        int l = ctx.localIdx;
        int base = g * d;

        float sum = 0f;
        for (int j = l; j < d; j += GROUP) {
            float v = x.get(base + j) + partsSum(y, base + j, splits);
            x.set(base + j, v);
            sum += v;
        }
        partial[l] = sum;
        for (int s = GROUP / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                partial[l] += partial[l + s];
            }
        }
        ctx.localBarrier();
        float mean = partial[0] / d;
        ctx.localBarrier();

        float squares = 0f;
        for (int j = l; j < d; j += GROUP) {
            float diff = x.get(base + j) - mean;
            squares += diff * diff;
        }
        partial[l] = squares;
        for (int s = GROUP / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                partial[l] += partial[l + s];
            }
        }
        ctx.localBarrier();
        float inverse = KernelMath.rsqrt(partial[0] / d + eps);
        for (int j = l; j < d; j += GROUP) {
            out.set(base + j, (x.get(base + j) - mean) * inverse * gamma.get(j) + beta.get(j));
        }
    }

    /**
     * {@link Gemm#partsSum}: element {@code i} of a product in {@code splits} parts, added in order
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
