package elattn.backend.cuda;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;

/**
 * Kernels the kernel compiler translates for {@link CudaCompiledKernelTest}. The {@code @Parallel}
 * ones are their own oracle: called directly they run as sequential Java.
 */
public final class CudaTestKernels {
    private CudaTestKernels() {
    }

    public static void add(FloatArray a, FloatArray b, FloatArray c) {
        for (@Parallel int i = 0; i < c.getSize(); i++) {
            c.set(i, a.get(i) + b.get(i));
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

    /** One sum per work-group of 256, through local memory and barriers. */
    public static void groupSums(KernelContext ctx, FloatArray in, FloatArray out) {
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
            out.set(ctx.groupIdx, part[0]);
        }
    }

    /** y = alpha * x + y in fp16 storage. */
    public static void halfAxpy(HalfFloatArray x, HalfFloatArray y, float alpha) {
        for (@Parallel int i = 0; i < y.getSize(); i++) {
            y.set(i, alpha * x.get(i) + y.get(i));
        }
    }
}
