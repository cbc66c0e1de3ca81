package elattn.backend.opencl;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;

/** Kernels translated by the kernel compiler at test-compile time, run on OpenCL by {@link CompiledKernelTest}. */
public final class CompiledKernels {
    /** Work-group size of {@link #groupSums}. */
    public static final int GROUP = 128;

    private CompiledKernels() {
    }

    public static void vectorAdd(FloatArray a, FloatArray b, FloatArray c) {
        for (@Parallel int i = 0; i < c.getSize(); i++) {
            c.set(i, a.get(i) + b.get(i));
        }
    }

    public static void scaleRows(FloatArray m, FloatArray out, int rows, int cols, float factor) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int c = 0; c < cols; c++) {
                out.set(r * cols + c, m.get(r * cols + c) * factor + r);
            }
        }
    }

    public static void groupSums(KernelContext ctx, FloatArray in, FloatArray sums) {
        float[] scratch = ctx.allocateFloatLocalArray(128);
        int lid = ctx.localIdx;
        int gid = ctx.globalIdx;
        scratch[lid] = gid < in.getSize() ? in.get(gid) : 0f;
        ctx.localBarrier();
        for (int stride = ctx.localGroupSizeX / 2; stride > 0; stride /= 2) {
            if (lid < stride) {
                scratch[lid] += scratch[lid + stride];
            }
            ctx.localBarrier();
        }
        if (lid == 0) {
            sums.set(ctx.groupIdx, scratch[0]);
        }
    }

    public static void shiftThenScaleHalf(HalfFloatArray x, HalfFloatArray y, float scale, long shift) {
        for (@Parallel int i = 0; i < y.getSize(); i++) {
            y.set(i, (x.get(i) + shift) * scale);
        }
    }
}
