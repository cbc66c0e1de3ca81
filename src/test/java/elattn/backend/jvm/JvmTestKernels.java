package elattn.backend.jvm;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;

/** Kernels that exercise the jvm backend's scheduling and failure handling. */
public final class JvmTestKernels {
    private JvmTestKernels() {
    }

    /** out[i] = i * i: every index of the range must be visited exactly once. */
    public static void squares(FloatArray out) {
        for (@Parallel int i = 0; i < out.getSize(); i++) {
            out.set(i, out.get(i) + (float) i * i);
        }
    }

    /** Work item 0 of each group fails before the barrier the others wait at. */
    public static void failBeforeBarrier(KernelContext ctx, FloatArray a) {
        if (ctx.localIdx == 0) {
            a.set(a.getSize() + ctx.globalIdx, 1f);
        }
        ctx.localBarrier();
        a.set(ctx.globalIdx, 2f);
    }

    /** Items of odd local id return before the barrier; the others must not wait for them forever. */
    public static void halfLeaveEarly(KernelContext ctx, FloatArray a) {
        if (ctx.localIdx % 2 == 1) {
            return;
        }
        ctx.localBarrier();
        a.set(ctx.globalIdx, 1f);
    }
}
