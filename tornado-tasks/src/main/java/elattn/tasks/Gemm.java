package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;
import elattn.runtime.WorkerGrid2D;

/**
 * Single-precision matrix multiply, {@code C = A * B} with row-major {@code A} (m x k), {@code B}
 * (k x n) and {@code C} (m x n).
 *
 * <p>Two forms of the same product: {@link #sgemm} is the portable loop form that any backend runs
 * well (the JVM splits its rows over threads); {@link #sgemmTiled} is the GPU form, where each
 * work-group stages {@value #TILE}x{@value #TILE} tiles of A and B in local memory so every element
 * read from global memory is used {@value #TILE} times. {@link #sgemmBlocked} is the fast GPU form:
 * register blocking on top of local-memory tiles, each work item computing an
 * {@value #MICRO}x{@value #MICRO} block of C (see its Javadoc for the scheme and the grid).
 */
public final class Gemm {
    /** Edge of the square tiles of {@link #sgemmTiled}; its work-groups are TILE x TILE items. */
    public static final int TILE = 16;

    /** Rows and columns of C one work-group of {@link #sgemmBlocked} computes (its block tile). */
    public static final int BLOCK = 128;
    /** Depth (along k) of the A and B tiles staged in local memory per step of {@link #sgemmBlocked}. */
    public static final int BLOCK_K = 8;
    /** Edge of the micro-tile of C each work item of {@link #sgemmBlocked} keeps in registers. */
    public static final int MICRO = 8;
    /** Work items along x and along y of a work-group of {@link #sgemmBlocked}: BLOCK / MICRO = 16. */
    public static final int THREADS = BLOCK / MICRO;
    /**
     * Row stride of the local tiles of {@link #sgemmBlocked}: the 4 floats of padding make the
     * transposed tile stores (32 items writing 8 k-values of 4 rows) hit 32 different banks.
     */
    public static final int TILE_STRIDE = BLOCK + 4;
    /** Floats each work item copies per tile and step: BLOCK * BLOCK_K / THREADS^2 = 4. */
    private static final int LOADS = BLOCK * BLOCK_K / (THREADS * THREADS);
    /** A micro-tile row (column) is two runs of 4 consecutive rows (columns), BLOCK / 2 apart. */
    private static final int RUN = 4;
    /** A rows (k-values per row: BLOCK_K) and B k-rows (BLOCK values each) the 256 items copy in one pass. */
    private static final int A_ROWS_PER_PASS = THREADS * THREADS / BLOCK_K;
    private static final int B_ROWS_PER_PASS = THREADS * THREADS / BLOCK;

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

    /**
     * C = A * B, register-blocked. Launch a 2-D grid of global size
     * {@code (ceil(n / BLOCK) * THREADS, ceil(m / BLOCK) * THREADS)} and local size
     * {@code (THREADS, THREADS)} = (16, 16) (see {@link #blockedGrid}): work-group {@code (gx, gy)}
     * computes the {@value #BLOCK}x{@value #BLOCK} block of C at rows {@code gy * BLOCK}, columns
     * {@code gx * BLOCK}; any m, n, k are correct (tiles past the edges are zero-padded, stores guarded).
     *
     * <p>Per step of {@value #BLOCK_K} along k, the 256 items copy an A tile (BLOCK x BLOCK_K) and a
     * B tile (BLOCK_K x BLOCK) into local memory, 4 floats each (read from global memory into
     * registers during the previous step's arithmetic, so their latency is hidden): A is read 8 consecutive k-values per
     * row (32-byte sectors) and stored transposed ({@code tileA[p * TILE_STRIDE + row]}); B is read
     * along its rows. Then each item, for every p, reads its 8 A values and 8 B values from local
     * memory into registers and does 64 FMAs on its 8x8 accumulators. Item {@code (tx, ty)} owns rows
     * {@code ty*4 + {0..3}} and {@code 64 + ty*4 + {0..3}} of the block (columns likewise with tx): its
     * local reads are runs of 4 consecutive floats (vector loads), conflict-free across a warp (the
     * 16 items of a warp row cover 64 consecutive floats; its 2 warp rows read one A address each, a
     * broadcast), and its stores of C are 4 consecutive columns.
     */
    public static void sgemmBlocked(KernelContext ctx, FloatArray a, FloatArray b, FloatArray c, int m, int n, int k) {
        float[] tileA = ctx.allocateFloatLocalArray(BLOCK_K * TILE_STRIDE);
        float[] tileB = ctx.allocateFloatLocalArray(BLOCK_K * TILE_STRIDE);
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int id = ty * THREADS + tx;
        int row0 = ctx.groupIdy * BLOCK;
        int col0 = ctx.groupIdx * BLOCK;
        // This item's share of the copies: A rows aRow + 32 * l at k-offset aK; B k-rows bK + 2 * l at column bCol.
        int aRow = id / BLOCK_K;
        int aK = id % BLOCK_K;
        int bK = id / BLOCK;
        int bCol = id % BLOCK;
        float[] acc = new float[MICRO * MICRO];
        float[] ra = new float[MICRO];
        float[] rb = new float[MICRO];
        // The next step's tile elements, read from global memory while this step computes.
        float[] nextA = new float[LOADS];
        float[] nextB = new float[LOADS];
        for (int l = 0; l < LOADS; l++) {
            nextA[l] = elementOrZero(a, row0 + aRow + l * A_ROWS_PER_PASS, m, aK, k);
            nextB[l] = elementOrZero(b, bK + l * B_ROWS_PER_PASS, k, col0 + bCol, n);
        }
        for (int t = 0; t < k; t += BLOCK_K) {
            for (int l = 0; l < LOADS; l++) {
                tileA[aK * TILE_STRIDE + aRow + l * A_ROWS_PER_PASS] = nextA[l];
                tileB[(bK + l * B_ROWS_PER_PASS) * TILE_STRIDE + bCol] = nextB[l];
            }
            ctx.localBarrier();
            for (int l = 0; l < LOADS; l++) {
                nextA[l] = elementOrZero(a, row0 + aRow + l * A_ROWS_PER_PASS, m, t + BLOCK_K + aK, k);
                nextB[l] = elementOrZero(b, t + BLOCK_K + bK + l * B_ROWS_PER_PASS, k, col0 + bCol, n);
            }
            for (int p = 0; p < BLOCK_K; p++) {
                for (int i = 0; i < MICRO; i++) {
                    ra[i] = tileA[p * TILE_STRIDE + i / RUN * (BLOCK / 2) + ty * RUN + i % RUN];
                    rb[i] = tileB[p * TILE_STRIDE + i / RUN * (BLOCK / 2) + tx * RUN + i % RUN];
                }
                for (int i = 0; i < MICRO; i++) {
                    for (int j = 0; j < MICRO; j++) {
                        acc[i * MICRO + j] += ra[i] * rb[j];
                    }
                }
            }
            ctx.localBarrier();
        }
        for (int i = 0; i < MICRO; i++) {
            int row = row0 + i / RUN * (BLOCK / 2) + ty * RUN + i % RUN;
            for (int j = 0; j < MICRO; j++) {
                int col = col0 + j / RUN * (BLOCK / 2) + tx * RUN + j % RUN;
                if (row < m && col < n) {
                    c.set(row * n + col, acc[i * MICRO + j]);
                }
            }
        }
    }

    /** Element (row, col) of a row-major rows x cols matrix, 0 outside it (the padding of edge tiles). */
    private static float elementOrZero(FloatArray x, int row, int rows, int col, int cols) {
        return row < rows && col < cols ? x.get(row * cols + col) : 0f;
    }

    /**
     * The launch grid of {@link #sgemmBlocked} for an m x n product (also that of
     * {@code Linear.forwardTiled} with m = rows, n = out): one (THREADS x THREADS) work-group per
     * BLOCK x BLOCK block of C. Host-side helper, not a kernel.
     */
    public static WorkerGrid2D blockedGrid(int m, int n) {
        WorkerGrid2D grid = new WorkerGrid2D((long) (n + BLOCK - 1) / BLOCK * THREADS,
                (long) (m + BLOCK - 1) / BLOCK * THREADS);
        grid.setLocalWork(THREADS, THREADS, 1);
        return grid;
    }
}
