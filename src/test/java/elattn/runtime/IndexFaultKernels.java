package elattn.runtime;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;

/**
 * Kernels that index out of range when {@code shift} says so, for the checked mode's tests
 * ({@link KernelFaultTest}): with shift 0 every access is in range; otherwise exactly one index is
 * out of range (the same one in every work item that makes it), so the first fault a device records
 * is known. Each faulting access is alone on its line, which ends with a comment {@code fault: NAME}
 * that the tests look up in the generated source.
 */
public final class IndexFaultKernels {
    private IndexFaultKernels() {
    }

    /** out[i] = a[i + shift]: shift 1 reads a[n], -1 reads a[-1]. */
    public static void shiftedRead(FloatArray a, FloatArray out, int shift) {
        for (@Parallel int i = 0; i < out.getSize(); i++) {
            float v = a.get(i + shift); // fault: parallel
            out.set(i, v);
        }
    }

    /** h[i + shift] = i in fp16: shift 1 writes h[n]. */
    public static void shiftedHalfWrite(HalfFloatArray h, int shift) {
        for (@Parallel int i = 0; i < h.getSize(); i++) {
            h.set(i + shift, i); // fault: half
        }
    }

    /** out[gid] = tile[l + shift], the tile holding the group's 64 inputs: shift 1 reads tile[64]. */
    public static void localShift(KernelContext ctx, FloatArray in, FloatArray out, int shift) {
        float[] tile = ctx.allocateFloatLocalArray(64);
        int l = ctx.localIdx;
        tile[l] = in.get(ctx.globalIdx);
        ctx.localBarrier();
        float v = tile[l + shift]; // fault: local
        out.set(ctx.globalIdx, v);
    }

    /** out[i] = p[i % 4 + shift] of a private int[4] holding i % 4 + 10 * i; shift 1 reads p[4]. */
    public static void privateShift(IntArray out, int shift) {
        for (@Parallel int i = 0; i < out.getSize(); i++) {
            int[] p = new int[4];
            p[i % 4] = i % 4 + 10 * i;
            int v = p[i % 4 + shift]; // fault: private
            out.set(i, v);
        }
    }

    /** out[i] = values[i + shift] read by a device function: shift 1 reads values[n]. */
    public static void viaDeviceFunction(FloatArray values, FloatArray out, int shift) {
        for (@Parallel int i = 0; i < out.getSize(); i++) {
            out.set(i, element(values, i + shift));
        }
    }

    private static float element(FloatArray source, int at) {
        return source.get(at); // fault: device function
    }
}
