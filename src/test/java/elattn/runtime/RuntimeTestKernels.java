package elattn.runtime;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;

/**
 * Kernels for the runtime's semantics tests and the CUDA backend's compiled-kernel tests. The
 * {@code @Parallel} ones double as their own oracle: called directly, they run as plain sequential Java.
 */
public final class RuntimeTestKernels {
    private RuntimeTestKernels() {
    }

    /** c = a + b. */
    public static void add(FloatArray a, FloatArray b, FloatArray c) {
        for (@Parallel int i = 0; i < c.getSize(); i++) {
            c.set(i, a.get(i) + b.get(i));
        }
    }

    /** acc += x: its result depends on what the previous execute left on the device. */
    public static void accumulate(FloatArray acc, FloatArray x) {
        for (@Parallel int i = 0; i < acc.getSize(); i++) {
            acc.set(i, acc.get(i) + x.get(i));
        }
    }

    /** out[i] = in[i] * scale for the first n elements; the rest is left as it is. */
    public static void scaleFirst(FloatArray in, FloatArray out, float scale, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            out.set(i, in.get(i) * scale);
        }
    }

    /** A 2-D range: out[r][c] = in[r][c] * (r + 1) + c, row-major with {@code cols} columns. */
    public static void rowScale(FloatArray in, FloatArray out, int rows, int cols) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int c = 0; c < cols; c++) {
                out.set(r * cols + c, in.get(r * cols + c) * (r + 1) + c);
            }
        }
    }

    /** out[i] = base + i, with a {@code long} scalar. */
    public static void iota(IntArray out, long base) {
        for (@Parallel int i = 0; i < out.getSize(); i++) {
            out.set(i, (int) (base + i));
        }
    }

    /** y = alpha * x + y in fp16 storage. */
    public static void halfAxpy(HalfFloatArray x, HalfFloatArray y, float alpha) {
        for (@Parallel int i = 0; i < y.getSize(); i++) {
            y.set(i, alpha * x.get(i) + y.get(i));
        }
    }

    /** A 2-D range with scalars of every kind: out[r][c] = in[r][c] * scale + offset + r - c. */
    public static void affine(FloatArray in, FloatArray out, int rows, int cols, float scale, long offset) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int c = 0; c < cols; c++) {
                out.set(r * cols + c, in.get(r * cols + c) * scale + (float) (offset + r - c));
            }
        }
    }

    /** Reads one element past the end of {@code a}: an error on the jvm. */
    public static void readPastEnd(FloatArray a, FloatArray out) {
        for (@Parallel int i = 0; i < out.getSize(); i++) {
            out.set(i, a.get(i + a.getSize()));
        }
    }

    /** partials[group] = sum of the group's elements of {@code in}: a tree reduction in local memory. */
    public static void groupSums(KernelContext ctx, FloatArray in, FloatArray partials) {
        float[] part = ctx.allocateFloatLocalArray(256);
        int l = ctx.localIdx;
        part[l] = in.get(ctx.globalIdx);
        for (int s = ctx.localGroupSizeX / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                part[l] += part[l + s];
            }
        }
        if (l == 0) {
            partials.set(ctx.groupIdx, part[0]);
        }
    }

    /**
     * Records each work item's ids in a 2-D grid: out[y * width + x] = group x + 100 * group y +
     * 10000 * local x + 1000000 * local y.
     */
    public static void ids2D(KernelContext ctx, IntArray out) {
        int v = ctx.groupIdx + 100 * ctx.groupIdy + 10000 * ctx.localIdx + 1000000 * ctx.localIdy;
        out.set(ctx.globalIdy * ctx.globalGroupSizeX + ctx.globalIdx, v);
    }

    /** Reverses each work-group's slice of {@code a} in place through local memory (needs the barrier). */
    public static void reverseGroups(KernelContext ctx, IntArray a) {
        int[] tile = ctx.allocateIntLocalArray(64);
        int l = ctx.localIdx;
        int n = ctx.localGroupSizeX;
        tile[l] = a.get(ctx.globalIdx);
        ctx.localBarrier();
        a.set(ctx.globalIdx, tile[n - 1 - l]);
    }
}
