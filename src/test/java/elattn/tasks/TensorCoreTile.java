package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.KernelMath;

/**
 * One warp, one {@link KernelContext#mma16816}: the smallest kernel that shows whether the fragment
 * layout (which lane feeds and receives which element) is right, apart from any GEMM tiling.
 */
public final class TensorCoreTile {
    private TensorCoreTile() {
    }

    /**
     * {@code d = a b^T + d} for a (16 x 16), b (8 x 16) and d (16 x 8), row-major. Launch one
     * work-group of 32 items.
     */
    public static void multiply(KernelContext ctx, FloatArray a, FloatArray b, FloatArray d) {
        int[] tileA = ctx.allocateIntLocalArray(16 * 8);
        int[] tileB = ctx.allocateIntLocalArray(8 * 8);
        int lane = ctx.localIdx;
        for (int q = lane; q < 16 * 8; q += KernelContext.WARP) {
            tileA[q] = KernelMath.packHalf2(a.get(2 * q), a.get(2 * q + 1));
        }
        for (int q = lane; q < 8 * 8; q += KernelContext.WARP) {
            tileB[q] = KernelMath.packHalf2(b.get(2 * q), b.get(2 * q + 1));
        }
        ctx.localBarrier();
        float[] acc = new float[4];
        for (int e = 0; e < 4; e++) {
            acc[e] = d.get(ctx.mmaRow(e) * 8 + ctx.mmaCol(e));
        }
        ctx.mma16816(acc, 0, tileA, 0, 8, tileB, 0, 8);
        for (int e = 0; e < 4; e++) {
            d.set(ctx.mmaRow(e) * 8 + ctx.mmaCol(e), acc[e]);
        }
    }
}
