package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;

/**
 * Single-precision matrix multiply, {@code C = A * B} with row-major {@code A} (m x k), {@code B}
 * (k x n) and {@code C} (m x n).
 *
 * <p>Two forms of the same product: {@link #sgemm} is the portable loop form that any backend runs
 * well (the JVM splits its rows over threads); {@link #sgemmTiled} is the GPU form, where each
 * work-group stages {@value #TILE}x{@value #TILE} tiles of A and B in local memory so every element
 * read from global memory is used {@value #TILE} times.
 */
public final class Gemm {
    /** Edge of the square tiles of {@link #sgemmTiled}; its work-groups are TILE x TILE items. */
    public static final int TILE = 16;

    private Gemm() {
    }

    /** C = A * B, one (row, column) pair per iteration of the two parallel loops. */
    public static void sgemm(FloatArray a, FloatArray b, FloatArray c, int m, int n, int k) {
        for (@Parallel int row = 0; row < m; row++) {
            for (@Parallel int col = 0; col < n; col++) {
                float sum = 0f;
                for (int p = 0; p < k; p++) {
                    sum += a.get(row * k + p) * b.get(p * n + col);
                }
                c.set(row * n + col, sum);
            }
        }
    }

    /**
     * C = A * B with local-memory tiles. Launch with a 2-D grid of global size (n, m) rounded up to
     * multiples of {@link #TILE} and local size (TILE, TILE): x runs over columns, y over rows.
     *
     * <pre>
     *   for each tile step t:   A[row, t..t+TILE) ──► tileA ─┐
     *                           B[t..t+TILE, col) ──► tileB ─┴─► sum += tileA[ly,:] . tileB[:,lx]
     * </pre>
     */
    public static void sgemmTiled(KernelContext ctx, FloatArray a, FloatArray b, FloatArray c, int m, int n, int k) {
        float[] tileA = ctx.allocateFloatLocalArray(TILE * TILE);
        float[] tileB = ctx.allocateFloatLocalArray(TILE * TILE);
        int col = ctx.globalIdx;
        int row = ctx.globalIdy;
        int lx = ctx.localIdx;
        int ly = ctx.localIdy;
        float sum = 0f;
        for (int t = 0; t < k; t += TILE) {
            tileA[ly * TILE + lx] = row < m && t + lx < k ? a.get(row * k + t + lx) : 0f;
            tileB[ly * TILE + lx] = col < n && t + ly < k ? b.get((t + ly) * n + col) : 0f;
            ctx.localBarrier();
            for (int p = 0; p < TILE; p++) {
                sum += tileA[ly * TILE + p] * tileB[p * TILE + lx];
            }
            ctx.localBarrier();
        }
        if (row < m && col < n) {
            c.set(row * n + col, sum);
        }
    }
}
