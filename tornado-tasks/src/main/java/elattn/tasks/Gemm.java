package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;
import elattn.kernel.Unroll;
import elattn.runtime.WorkerGrid2D;
import elattn.runtime.WorkerGrid3D;

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
 *
 * <p>{@link #weightsBlocked} and {@link #weightsBlockedHalf} (fp16 weights) are the mid-size form
 * for products with a weight matrix: {@value #MID}x{@value #MID} blocks, so that a product too small
 * for enough 128x128 blocks (a decode step's linears over a few hundred rows) still gives the GPU
 * many work-groups; strided and batched so that one kernel serves {@code Linear} and EL-attention's
 * per-head projections ({@code ElAttention}).
 *
 * <p>{@link #hgemmTensorCore} (fp32 A) and {@link #hgemmTensorCoreHalf} (fp16 A) are
 * {@code C = A W^T} with fp16 weights on CUDA tensor cores ({@link KernelContext#mmaTiles}, tiles
 * staged by {@link KernelContext#copyAsync}), in 128 x 128 blocks; {@link #weightsTensorCore} is
 * {@link #weightsBlockedHalf}'s strided, batched product on them, in 64 x 64 blocks. They build on
 * CUDA only (compute capability 8.0+), where {@link #weightsBlockedHalf} is the portable kernel of
 * the same products ({@code KernelBenchmark.tensorCore} measures the GEMMs).
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

    /** Rows and columns of C one work-group of {@link #weightsBlocked} computes. */
    public static final int MID = 64;
    /** Edge of the micro-tile of C each work item of {@link #weightsBlocked} keeps in registers. */
    public static final int MID_MICRO = 4;
    /** Work items along x and along y of a work-group of {@link #weightsBlocked}: MID / MID_MICRO = 16. */
    public static final int MID_THREADS = MID / MID_MICRO;
    /** Row stride of {@link #weightsBlocked}'s local tiles: a multiple of 4 (vector reads), padded against bank conflicts. */
    private static final int MID_STRIDE = MID + 4;
    /** Elements of each tile (MID x BLOCK_K) that one item copies per step: 2. */
    private static final int MID_LOADS = MID * BLOCK_K / (MID_THREADS * MID_THREADS);
    /** Tile rows copied per pass when read along k (8 consecutive k-values per row): 32. */
    private static final int MID_ROWS_PER_PASS = MID_THREADS * MID_THREADS / BLOCK_K;
    /** k-rows copied per pass when read along n (MID consecutive columns per k-row): 4. */
    private static final int MID_K_PER_PASS = MID_THREADS * MID_THREADS / MID;

    /** Rows and columns of C one work-group of {@link #hgemmTensorCore} and {@link #hgemmTensorCoreHalf} computes. */
    public static final int TC_BLOCK = 128;
    /** Work items of their work-groups: 8 warps, 2 down x 4 across, each a 64 x 32 part of the block. */
    public static final int TC_THREADS = 8 * KernelContext.WARP;
    /**
     * What k must be a multiple of for them: their copies move 16 bytes (4 fp32 or 8 fp16 k-values)
     * from 16-byte-aligned addresses.
     */
    public static final int TC_K_MULTIPLE = 8;
    /**
     * Depth (along k) of a tile stage: two mma16816 k-slices, so that a barrier comes every 32
     * k-values and a warp has the fragments of one slice loading while it multiplies the other.
     */
    private static final int TC_BLOCK_K = 32;
    /**
     * Tile stages in local memory: while the warps multiply one, the copies of the next two are in
     * flight. Three stages of the fp32 A and fp16 B tiles are 90 KiB, three of two fp16 tiles
     * 60 KiB: past CUDA's 48 KiB of static local memory, so the translator gives them dynamic
     * shared memory ({@code DynamicLocalMemory}); two work-groups still fit an SM of Ampere or Hopper.
     */
    private static final int TC_STAGES = 3;
    /** Row stride in ints of an fp16 tile (16 pairs + 4): the 8 rows g of a fragment read start at 8 distinct multiples of 4 modulo 32. */
    private static final int TC_STRIDE = TC_BLOCK_K / 2 + 4;
    /** Row stride in floats of an fp32 tile (32 + 8): each half-warp's float2 fragment reads hit 32 distinct banks. */
    private static final int TC_FLOAT_STRIDE = TC_BLOCK_K + 8;
    /** Ints of one stage of an fp16 tile, floats of one stage of an fp32 tile (TC_BLOCK rows). */
    private static final int TC_TILE = TC_BLOCK * TC_STRIDE;
    private static final int TC_FLOAT_TILE = TC_BLOCK * TC_FLOAT_STRIDE;
    /** 16-byte copies per tile row: 8 of fp32 k-values, 4 of fp16. */
    private static final int TC_FLOAT_CHUNKS = TC_BLOCK_K / 4;
    private static final int TC_HALF_CHUNKS = TC_BLOCK_K / 8;
    /** Rows of an fp32 tile the 256 items copy in one pass (32), and the passes per stage (4). */
    private static final int TC_FLOAT_ROWS_PER_PASS = TC_THREADS / TC_FLOAT_CHUNKS;
    private static final int TC_FLOAT_PASSES = TC_BLOCK / TC_FLOAT_ROWS_PER_PASS;
    /** Rows of an fp16 tile the 256 items copy in one pass (64), and the passes per stage (2). */
    private static final int TC_HALF_ROWS_PER_PASS = TC_THREADS / TC_HALF_CHUNKS;
    private static final int TC_HALF_PASSES = TC_BLOCK / TC_HALF_ROWS_PER_PASS;
    /** k-slices of one mma16816 each in a stage (2); a slice is 16 floats of an fp32 tile row, 8 ints of an fp16 one. */
    private static final int TC_SLICES = TC_BLOCK_K / 16;
    /** Rows and columns of C one work-group of {@link #weightsTensorCore} computes, its items (4 warps), a warp's part (32 x 32). */
    private static final int WTC_BLOCK = 64;
    private static final int WTC_THREADS = 4 * KernelContext.WARP;
    private static final int WTC_WARP = 32;
    private static final int WTC_TILES_M = WTC_WARP / 16;
    private static final int WTC_TILES_N = WTC_WARP / 8;
    /** A rows its 128 items copy per pass (16), and the passes per stage (4). */
    private static final int WTC_FLOAT_ROWS_PER_PASS = WTC_THREADS / TC_FLOAT_CHUNKS;
    private static final int WTC_FLOAT_PASSES = WTC_BLOCK / WTC_FLOAT_ROWS_PER_PASS;
    /** B rows (outputs) its items copy per pass by output (32), and the passes (2). */
    private static final int WTC_HALF_ROWS_PER_PASS = WTC_THREADS / TC_HALF_CHUNKS;
    private static final int WTC_HALF_PASSES = WTC_BLOCK / WTC_HALF_ROWS_PER_PASS;
    /** A k-major B tile: 32 depth rows of 64 fp16 outputs (8 chunks), row stride 32 pairs + 4 (16-byte rows for ldmatrix); depth rows per pass (16). */
    private static final int WTC_ROW_CHUNKS = WTC_BLOCK / 8;
    private static final int WTC_ROW_STRIDE = WTC_BLOCK / 2 + 4;
    private static final int WTC_DEPTH_ROWS_PER_PASS = WTC_THREADS / WTC_ROW_CHUNKS;
    /** Ints of a B stage: the by-output tile (64 x TC_STRIDE = 1280), which holds the k-major one (32 x WTC_ROW_STRIDE = 1152). */
    private static final int WTC_B_TILE = WTC_BLOCK * TC_STRIDE;
    /** Rows and columns of the block one warp computes. */
    private static final int TC_WARP_M = 64;
    private static final int TC_WARP_N = 32;
    /** Warps across a block (4). */
    private static final int TC_WARPS_ACROSS = TC_BLOCK / TC_WARP_N;
    /** 16 x 8 mma tiles of a warp's part, down and across: 4 x 4, 4 accumulators each. */
    private static final int TC_TILES_M = TC_WARP_M / 16;
    private static final int TC_TILES_N = TC_WARP_N / 8;

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

    /**
     * {@code C = A B + bias} for {@code batch} independent products where B is a slice of a weight
     * matrix W, register-blocked in {@value #MID}x{@value #MID} blocks of C with a
     * {@value #MID_MICRO}x{@value #MID_MICRO} micro-tile per item. Product {@code z} (m x n, depth k) reads
     * <pre>
     *   A[r, p] = a[z*k + r*lda + p]                 (rows of a, k-contiguous)
     *   B[p, j] = w[(z*n + j)*ldw + p]   if byOutput  (W rows are outputs: nn.Linear, EL's W^V per head)
     *           = w[(z*k + p)*ldw + j]   otherwise    (W rows are the depth: EL's W^K per head)
     *   C[r, j] = c[z*n + r*ldc + j] = A[r,:] . B[:, j] + (biased != 0 ? bias[z*n + j] : 0)
     * </pre>
     * so {@code Linear}: one product, {@code lda = k, ldw = k, ldc = n}; EL's expandQuery: product
     * h = head h, m = rows, n = d, k = headDim; projectHeads: m = rows, n = headDim, k = d (see
     * {@code ElAttention}). {@code bias} is read only when {@code biased != 0} (pass any array
     * otherwise). Launch the grid of {@link #weightsGrid} over {@code batch * splits} products:
     * work-group {@code (gx, gy, z * splits + s)} computes the block of product z at rows
     * {@code gy * MID}, columns {@code gx * MID}, over part {@code s} of the depth ({@link #splitDepth}
     * values from {@code s * splitDepth}); any m, n, k are correct.
     *
     * <p>With {@code splits == 1} each C element is written as above. With more, the depth is split
     * so that a product of few blocks (a decode step's linear over a few dozen rows: a 64-row,
     * 768-output product has 12 blocks) still gives every multiprocessor work: part s of element i
     * (the index above) goes to {@code c[i * splits + s]}, the bias into part 0 only, and
     * {@link #sumSplits} adds the parts in order into the result.
     *
     * <p>As {@link #sgemmBlocked}: per step of {@value #BLOCK_K} along k the 256 items copy an A and a
     * B tile (read into registers during the previous step's arithmetic) into local memory, both
     * stored k-major so that the inner loop reads runs of 4 floats. A and a {@code byOutput} W are
     * read 8 consecutive k-values per row (32-byte sectors), the other W along its rows (64
     * consecutive floats). Item {@code (tx, ty)} owns rows {@code ty*4 ..+3} and columns
     * {@code tx*4 ..+3}: per k-value one broadcast read of A, a conflict-free run of B, 16 FMAs; its
     * stores of C are 4 consecutive columns.
     */
    public static void weightsBlocked(KernelContext ctx, FloatArray a, int lda, FloatArray w, int ldw, int byOutput,
            FloatArray bias, int biased, FloatArray c, int ldc, int m, int n, int k,
            int splits) {
        float[] tileA = ctx.allocateFloatLocalArray(BLOCK_K * MID_STRIDE);
        float[] tileB = ctx.allocateFloatLocalArray(BLOCK_K * MID_STRIDE);
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int id = ty * MID_THREADS + tx;
        int z = ctx.groupIdz / splits;
        int s = ctx.groupIdz - z * splits;
        int k0 = s * splitDepth(k, splits);
        int k1 = Math.min(k, k0 + splitDepth(k, splits));
        int row0 = ctx.groupIdy * MID;
        int col0 = ctx.groupIdx * MID;
        int aBase = z * k;
        // W element (p, j) of this product is at wBase + j * wStrideN + p * wStrideK.
        int wStrideN = byOutput != 0 ? ldw : 1;
        int wStrideK = byOutput != 0 ? 1 : ldw;
        int wBase = byOutput != 0 ? z * n * ldw : z * k * ldw;
        // This item's share of the copies: A rows aRow + 32 * l at k-offset aK; B columns bCol (+ 32 * l
        // when byOutput) at k-offset bK (+ 4 * l otherwise).
        int aRow = id / BLOCK_K;
        int aK = id % BLOCK_K;
        int bCol = byOutput != 0 ? id / BLOCK_K : id % MID;
        int bK = byOutput != 0 ? id % BLOCK_K : id / MID;
        int bColStep = byOutput != 0 ? MID_ROWS_PER_PASS : 0;
        int bKStep = byOutput != 0 ? 0 : MID_K_PER_PASS;
        float[] acc = new float[MID_MICRO * MID_MICRO];
        float[] ra = new float[MID_MICRO];
        float[] rb = new float[MID_MICRO];
        float[] nextA = new float[MID_LOADS];
        float[] nextB = new float[MID_LOADS];
        for (int l = 0; l < MID_LOADS; l++) {
            nextA[l] = stridedOrZero(a, aBase, row0 + aRow + l * MID_ROWS_PER_PASS, m, lda, k0 + aK, k1);
            nextB[l] = weightOrZero(w, wBase, col0 + bCol + l * bColStep, n, wStrideN, k0 + bK + l * bKStep, k1,
                    wStrideK);
        }
        for (int t = k0; t < k1; t += BLOCK_K) {
            for (int l = 0; l < MID_LOADS; l++) {
                tileA[aK * MID_STRIDE + aRow + l * MID_ROWS_PER_PASS] = nextA[l];
                tileB[(bK + l * bKStep) * MID_STRIDE + bCol + l * bColStep] = nextB[l];
            }
            ctx.localBarrier();
            for (int l = 0; l < MID_LOADS; l++) {
                nextA[l] = stridedOrZero(a, aBase, row0 + aRow + l * MID_ROWS_PER_PASS, m, lda, t + BLOCK_K + aK, k1);
                nextB[l] = weightOrZero(w, wBase, col0 + bCol + l * bColStep, n, wStrideN,
                        t + BLOCK_K + bK + l * bKStep, k1, wStrideK);
            }
            for (int p = 0; p < BLOCK_K; p++) {
                for (int i = 0; i < MID_MICRO; i++) {
                    ra[i] = tileA[p * MID_STRIDE + ty * MID_MICRO + i];
                    rb[i] = tileB[p * MID_STRIDE + tx * MID_MICRO + i];
                }
                for (int i = 0; i < MID_MICRO; i++) {
                    for (int j = 0; j < MID_MICRO; j++) {
                        acc[i * MID_MICRO + j] += ra[i] * rb[j];
                    }
                }
            }
            ctx.localBarrier();
        }
        for (int j = 0; j < MID_MICRO; j++) {
            int col = col0 + tx * MID_MICRO + j;
            rb[j] = biased != 0 && s == 0 && col < n ? bias.get(z * n + col) : 0f;
        }
        for (int i = 0; i < MID_MICRO; i++) {
            int row = row0 + ty * MID_MICRO + i;
            for (int j = 0; j < MID_MICRO; j++) {
                int col = col0 + tx * MID_MICRO + j;
                if (row < m && col < n) {
                    c.set((z * n + row * ldc + col) * splits + s, acc[i * MID_MICRO + j] + rb[j]);
                }
            }
        }
    }

    /**
     * {@link #weightsBlocked} with fp16 weights {@code w} (widened to fp32 as they are staged in local
     * memory; fp32 arithmetic and accumulation). Same grid ({@link #weightsGrid}). The body repeats
     * {@link #weightsBlocked}'s: the kernel language has no way to pass local or private arrays to a
     * shared device function.
     */
    public static void weightsBlockedHalf(KernelContext ctx, FloatArray a, int lda, HalfFloatArray w, int ldw,
            int byOutput, FloatArray bias, int biased, FloatArray c, int ldc, int m, int n, int k,
            int splits) {
        float[] tileA = ctx.allocateFloatLocalArray(BLOCK_K * MID_STRIDE);
        float[] tileB = ctx.allocateFloatLocalArray(BLOCK_K * MID_STRIDE);
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int id = ty * MID_THREADS + tx;
        int z = ctx.groupIdz / splits;
        int s = ctx.groupIdz - z * splits;
        int k0 = s * splitDepth(k, splits);
        int k1 = Math.min(k, k0 + splitDepth(k, splits));
        int row0 = ctx.groupIdy * MID;
        int col0 = ctx.groupIdx * MID;
        int aBase = z * k;
        // W element (p, j) of this product is at wBase + j * wStrideN + p * wStrideK.
        int wStrideN = byOutput != 0 ? ldw : 1;
        int wStrideK = byOutput != 0 ? 1 : ldw;
        int wBase = byOutput != 0 ? z * n * ldw : z * k * ldw;
        // This item's share of the copies: A rows aRow + 32 * l at k-offset aK; B columns bCol (+ 32 * l
        // when byOutput) at k-offset bK (+ 4 * l otherwise).
        int aRow = id / BLOCK_K;
        int aK = id % BLOCK_K;
        int bCol = byOutput != 0 ? id / BLOCK_K : id % MID;
        int bK = byOutput != 0 ? id % BLOCK_K : id / MID;
        int bColStep = byOutput != 0 ? MID_ROWS_PER_PASS : 0;
        int bKStep = byOutput != 0 ? 0 : MID_K_PER_PASS;
        float[] acc = new float[MID_MICRO * MID_MICRO];
        float[] ra = new float[MID_MICRO];
        float[] rb = new float[MID_MICRO];
        float[] nextA = new float[MID_LOADS];
        float[] nextB = new float[MID_LOADS];
        for (int l = 0; l < MID_LOADS; l++) {
            nextA[l] = stridedOrZero(a, aBase, row0 + aRow + l * MID_ROWS_PER_PASS, m, lda, k0 + aK, k1);
            nextB[l] = halfWeightOrZero(w, wBase, col0 + bCol + l * bColStep, n, wStrideN, k0 + bK + l * bKStep, k1,
                    wStrideK);
        }
        for (int t = k0; t < k1; t += BLOCK_K) {
            for (int l = 0; l < MID_LOADS; l++) {
                tileA[aK * MID_STRIDE + aRow + l * MID_ROWS_PER_PASS] = nextA[l];
                tileB[(bK + l * bKStep) * MID_STRIDE + bCol + l * bColStep] = nextB[l];
            }
            ctx.localBarrier();
            for (int l = 0; l < MID_LOADS; l++) {
                nextA[l] = stridedOrZero(a, aBase, row0 + aRow + l * MID_ROWS_PER_PASS, m, lda, t + BLOCK_K + aK, k1);
                nextB[l] = halfWeightOrZero(w, wBase, col0 + bCol + l * bColStep, n, wStrideN,
                        t + BLOCK_K + bK + l * bKStep, k1, wStrideK);
            }
            for (int p = 0; p < BLOCK_K; p++) {
                for (int i = 0; i < MID_MICRO; i++) {
                    ra[i] = tileA[p * MID_STRIDE + ty * MID_MICRO + i];
                    rb[i] = tileB[p * MID_STRIDE + tx * MID_MICRO + i];
                }
                for (int i = 0; i < MID_MICRO; i++) {
                    for (int j = 0; j < MID_MICRO; j++) {
                        acc[i * MID_MICRO + j] += ra[i] * rb[j];
                    }
                }
            }
            ctx.localBarrier();
        }
        for (int j = 0; j < MID_MICRO; j++) {
            int col = col0 + tx * MID_MICRO + j;
            rb[j] = biased != 0 && s == 0 && col < n ? bias.get(z * n + col) : 0f;
        }
        for (int i = 0; i < MID_MICRO; i++) {
            int row = row0 + ty * MID_MICRO + i;
            for (int j = 0; j < MID_MICRO; j++) {
                int col = col0 + tx * MID_MICRO + j;
                if (row < m && col < n) {
                    c.set((z * n + row * ldc + col) * splits + s, acc[i * MID_MICRO + j] + rb[j]);
                }
            }
        }
    }

    /**
     * {@code C = A B^T + bias} on tensor cores: A (m x k, fp32, e.g. activations) and B (n x k, fp16,
     * e.g. an nn.Linear weight), both row-major, C (m x n, fp32) row-major; A rounded to fp16, products
     * summed in fp32 ({@link KernelContext#mma16816}); {@code bias} (n floats) is read only when
     * {@code biased != 0}, so that as a linear it is {@code y = x W^T + b} over {@code m} live rows
     * (work-groups past them return at once). Any m and n; k a multiple of {@value #TC_K_MULTIPLE}
     * (the copies are 16-byte aligned). CUDA only (compute capability 8.0+): on OpenCL, and on older
     * GPUs, the kernel fails to build; there {@link #weightsBlockedHalf} (one product,
     * {@code lda = ldw = k}, {@code byOutput = 1}, {@code ldc = n}) is the portable kernel of the same
     * product, in fp32 arithmetic. The JVM backend runs it through the Java forms of the intrinsics.
     *
     * <p>Launch the grid of {@link #tensorCoreGrid}. Work-group {@code (gx, gy)} of
     * {@value #TC_THREADS} items (8 warps, 2 x 4, each 64 x 32 of C as 4 x 4 mma16816 tiles, 4
     * accumulators each) computes the {@value #TC_BLOCK} x {@value #TC_BLOCK} block of C at rows
     * {@code gy * TC_BLOCK}, columns {@code gx * TC_BLOCK}, in steps of {@value #TC_BLOCK_K} along k
     * through a pipeline of {@value #TC_STAGES} tile stages in local memory:
     * <pre>
     *   step t:  await this item's copies of stage t ─► barrier ─► copyAsync stage t + 2 (A fp32, B fp16)
     *            into the buffer step t - 1 read ─► commit ─► each warp's 4 x 4 tiles on buffer t % 3, one
     *            k-slice of 16 after the other ({@link KernelContext#mmaTiles}; A's fp32 pairs rounded to
     *            fp16 as the fragments are read)
     * </pre>
     * The copies ({@link KernelContext#copyAsync}, 16 bytes each, no registers) of two stages are in
     * flight while the warps multiply, so their latency is hidden; one barrier per step both publishes
     * stage t and frees the buffer of stage t - 1. Rows past m (n) and k-values past k are zero-filled
     * without a read. The stores follow {@link KernelContext#mmaRow} and {@link KernelContext#mmaCol},
     * guarded. {@link #hgemmTensorCoreHalf} is the same kernel for fp16 A.
     */
    public static void hgemmTensorCore(KernelContext ctx, FloatArray a, HalfFloatArray b, FloatArray bias, int biased,
            FloatArray c, int m, int n, int k) {
        float[] tileA = ctx.allocateFloatLocalArray(TC_STAGES * TC_FLOAT_TILE);
        int[] tileB = ctx.allocateIntLocalArray(TC_STAGES * TC_TILE);
        int id = ctx.localIdx;
        int row0 = ctx.groupIdy * TC_BLOCK;
        int col0 = ctx.groupIdx * TC_BLOCK;
        if (row0 >= m || col0 >= n) {
            return;
        }
        int warpRow = id / KernelContext.WARP / TC_WARPS_ACROSS * TC_WARP_M;
        int warpCol = id / KernelContext.WARP % TC_WARPS_ACROSS * TC_WARP_N;
        // This item copies chunk aChunk of A tile rows aRow + TC_FLOAT_ROWS_PER_PASS * l, chunk bChunk of B rows bRow + TC_HALF_ROWS_PER_PASS * l.
        int aRow = id / TC_FLOAT_CHUNKS;
        int aChunk = id % TC_FLOAT_CHUNKS;
        int bRow = id / TC_HALF_CHUNKS;
        int bChunk = id % TC_HALF_CHUNKS;
        float[] acc = new float[TC_TILES_M * TC_TILES_N * 4];
        int steps = (k + TC_BLOCK_K - 1) / TC_BLOCK_K;
        for (int t = 1 - TC_STAGES; t < steps; t++) {
            if (t >= 0) {
                ctx.awaitCopies(TC_STAGES - 2);
                ctx.localBarrier();
            }
            int next = t + TC_STAGES - 1;
            int pa = next * TC_BLOCK_K + 4 * aChunk;
            for (int l = 0; l < TC_FLOAT_PASSES; l++) {
                int r = aRow + l * TC_FLOAT_ROWS_PER_PASS;
                ctx.copyAsync(tileA, next % TC_STAGES * TC_FLOAT_TILE + r * TC_FLOAT_STRIDE + 4 * aChunk, a,
                        (row0 + r) * k + pa, row0 + r < m && pa < k);
            }
            int pb = next * TC_BLOCK_K + 8 * bChunk;
            for (int l = 0; l < TC_HALF_PASSES; l++) {
                int r = bRow + l * TC_HALF_ROWS_PER_PASS;
                ctx.copyAsync(tileB, next % TC_STAGES * TC_TILE + r * TC_STRIDE + 4 * bChunk, b, (col0 + r) * k + pb,
                        col0 + r < n && pb < k);
            }
            ctx.commitCopies();
            if (t >= 0) {
                for (@Unroll int slice = 0; slice < TC_SLICES; slice++) {
                    ctx.mmaTiles(acc, 0, tileA, t % TC_STAGES * TC_FLOAT_TILE + warpRow * TC_FLOAT_STRIDE + 16 * slice,
                            TC_FLOAT_STRIDE, TC_TILES_M, tileB, t % TC_STAGES * TC_TILE + warpCol * TC_STRIDE + 8 * slice,
                            TC_STRIDE, TC_TILES_N);
                }
            }
        }
        for (int i = 0; i < TC_TILES_M; i++) {
            for (int j = 0; j < TC_TILES_N; j++) {
                for (int e = 0; e < 4; e++) {
                    int row = row0 + warpRow + i * 16 + ctx.mmaRow(e);
                    int column = col0 + warpCol + j * 8 + ctx.mmaCol(e);
                    if (row < m && column < n) {
                        c.set(row * n + column,
                                acc[(i * TC_TILES_N + j) * 4 + e] + (biased != 0 ? bias.get(column) : 0f));
                    }
                }
            }
        }
    }

    /**
     * {@link #hgemmTensorCore} with fp16 A: {@code C = A B^T + bias}, A (m x k) and B (n x k) fp16, C
     * (m x n) fp32, fp32 sums, for activations kept in fp16. The same kernel line for line (the
     * language has no generics and passes no private arrays to device functions, so the two cannot
     * share the body); only A's tiles differ: fp16 pairs copied as they are, one chunk per item like
     * B's. Same grid ({@link #tensorCoreGrid}), k a multiple of {@value #TC_K_MULTIPLE}, CUDA only;
     * {@link #weightsBlockedHalf} after widening A is the portable product.
     */
    public static void hgemmTensorCoreHalf(KernelContext ctx, HalfFloatArray a, HalfFloatArray b, FloatArray bias,
            int biased, FloatArray c, int m, int n, int k) {
        int[] tileA = ctx.allocateIntLocalArray(TC_STAGES * TC_TILE);
        int[] tileB = ctx.allocateIntLocalArray(TC_STAGES * TC_TILE);
        int id = ctx.localIdx;
        int row0 = ctx.groupIdy * TC_BLOCK;
        int col0 = ctx.groupIdx * TC_BLOCK;
        if (row0 >= m || col0 >= n) {
            return;
        }
        int warpRow = id / KernelContext.WARP / TC_WARPS_ACROSS * TC_WARP_M;
        int warpCol = id / KernelContext.WARP % TC_WARPS_ACROSS * TC_WARP_N;
        // This item copies chunk copyChunk of tile rows copyRow + TC_HALF_ROWS_PER_PASS * l of A and of B.
        int copyRow = id / TC_HALF_CHUNKS;
        int copyChunk = id % TC_HALF_CHUNKS;
        float[] acc = new float[TC_TILES_M * TC_TILES_N * 4];
        int steps = (k + TC_BLOCK_K - 1) / TC_BLOCK_K;
        for (int t = 1 - TC_STAGES; t < steps; t++) {
            if (t >= 0) {
                ctx.awaitCopies(TC_STAGES - 2);
                ctx.localBarrier();
            }
            int next = t + TC_STAGES - 1;
            int p = next * TC_BLOCK_K + 8 * copyChunk;
            for (int l = 0; l < TC_HALF_PASSES; l++) {
                int r = copyRow + l * TC_HALF_ROWS_PER_PASS;
                int at = next % TC_STAGES * TC_TILE + r * TC_STRIDE + 4 * copyChunk;
                ctx.copyAsync(tileA, at, a, (row0 + r) * k + p, row0 + r < m && p < k);
                ctx.copyAsync(tileB, at, b, (col0 + r) * k + p, col0 + r < n && p < k);
            }
            ctx.commitCopies();
            if (t >= 0) {
                for (@Unroll int slice = 0; slice < TC_SLICES; slice++) {
                    ctx.mmaTiles(acc, 0, tileA, t % TC_STAGES * TC_TILE + warpRow * TC_STRIDE + 8 * slice, TC_STRIDE,
                            TC_TILES_M, tileB, t % TC_STAGES * TC_TILE + warpCol * TC_STRIDE + 8 * slice, TC_STRIDE,
                            TC_TILES_N);
                }
            }
        }
        for (int i = 0; i < TC_TILES_M; i++) {
            for (int j = 0; j < TC_TILES_N; j++) {
                for (int e = 0; e < 4; e++) {
                    int r = row0 + warpRow + i * 16 + ctx.mmaRow(e);
                    int column = col0 + warpCol + j * 8 + ctx.mmaCol(e);
                    if (r < m && column < n) {
                        c.set(r * n + column,
                                acc[(i * TC_TILES_N + j) * 4 + e] + (biased != 0 ? bias.get(column) : 0f));
                    }
                }
            }
        }
    }

    /**
     * {@link #weightsBlockedHalf}'s batched, strided product {@code C = A B + bias} on tensor cores
     * (A rounded to fp16, fp32 sums): the same arguments and the same addressing of A, B (either
     * layout of W) and C, for EL's per-head products (expandQuery: n = d, k = headDim, W k-major;
     * projectHeads: n = headDim, k = d, W by output). CUDA only, like {@link #hgemmTensorCore};
     * {@code lda} a multiple of 4, {@code ldw} and {@code k} of 8 ({@link #weightsTensorCoreAligned}).
     *
     * <p>Launch the grid of {@link #weightsTensorCoreGrid}: work-group {@code (gx, gy, z)} of
     * {@value #WTC_THREADS} items (4 warps, 2 x 2, each 32 x 32 of C as 2 x 4 mma tiles) computes the
     * {@value #WTC_BLOCK} x {@value #WTC_BLOCK} block of product z at rows {@code gy * WTC_BLOCK},
     * columns {@code gx * WTC_BLOCK} (64 x 64: a product with 64 outputs, as projectHeads' per head,
     * fills its blocks). Per step of {@value #TC_BLOCK_K} along k (two mma slices), as {@link #hgemmTensorCore}, A (fp32) and B (fp16) tiles
     * stream through {@value #TC_STAGES} stages by {@link KernelContext#copyAsync}: B as W stores it,
     * rows of outputs ({@code byOutput}, read by {@link KernelContext#mmaTiles}) or rows of the depth
     * (read transposed by {@link KernelContext#mmaTilesTransposed}). {@code splits} as in
     * {@link #weightsBlocked} (the grid over {@code batch * splits} products; parts summed by
     * {@link #sumSplits}).
     */
    public static void weightsTensorCore(KernelContext ctx, FloatArray a, int lda, HalfFloatArray w, int ldw,
            int byOutput, FloatArray bias, int biased, FloatArray c, int ldc, int m, int n, int k,
            int splits) {
        float[] tileA = ctx.allocateFloatLocalArray(TC_STAGES * WTC_BLOCK * TC_FLOAT_STRIDE);
        int[] tileB = ctx.allocateIntLocalArray(TC_STAGES * WTC_B_TILE);
        int id = ctx.localIdx;
        int z = ctx.groupIdz / splits;
        int s = ctx.groupIdz - z * splits;
        int k0 = s * splitDepth(k, splits);
        int k1 = Math.min(k, k0 + splitDepth(k, splits));
        int row0 = ctx.groupIdy * WTC_BLOCK;
        int col0 = ctx.groupIdx * WTC_BLOCK;
        if (row0 >= m || col0 >= n) {
            return;
        }
        int warpRow = id / KernelContext.WARP / 2 * WTC_WARP;
        int warpCol = id / KernelContext.WARP % 2 * WTC_WARP;
        // This item copies chunk aChunk of A rows aRow + WTC_FLOAT_ROWS_PER_PASS * l; and of B, by output
        // chunk (8 k-values) id % 4 of output rows id / 4 + 32 l, else chunk (8 outputs) id % 8 of depth rows id / 8 + 16 l.
        int aRow = id / TC_FLOAT_CHUNKS;
        int aChunk = id % TC_FLOAT_CHUNKS;
        int bRow = byOutput != 0 ? id / TC_HALF_CHUNKS : id / WTC_ROW_CHUNKS;
        int bChunk = byOutput != 0 ? id % TC_HALF_CHUNKS : id % WTC_ROW_CHUNKS;
        int bRowStep = byOutput != 0 ? WTC_HALF_ROWS_PER_PASS : WTC_DEPTH_ROWS_PER_PASS;
        int bStride = byOutput != 0 ? TC_STRIDE : WTC_ROW_STRIDE;
        float[] acc = new float[WTC_TILES_M * WTC_TILES_N * 4];
        int steps = (k1 - k0 + TC_BLOCK_K - 1) / TC_BLOCK_K;
        for (int t = 1 - TC_STAGES; t < steps; t++) {
            if (t >= 0) {
                ctx.awaitCopies(TC_STAGES - 2);
                ctx.localBarrier();
            }
            int next = t + TC_STAGES - 1;
            int p = k0 + next * TC_BLOCK_K;
            for (int l = 0; l < WTC_FLOAT_PASSES; l++) {
                int row = row0 + aRow + l * WTC_FLOAT_ROWS_PER_PASS;
                int pa = p + 4 * aChunk;
                ctx.copyAsync(tileA, (next % TC_STAGES * WTC_BLOCK + aRow + l * WTC_FLOAT_ROWS_PER_PASS)
                        * TC_FLOAT_STRIDE + 4 * aChunk, a, z * k + row * lda + pa, row < m && pa < k1);
            }
            for (int l = 0; l < WTC_HALF_PASSES; l++) {
                int r = bRow + l * bRowStep;
                int at = next % TC_STAGES * WTC_B_TILE + r * bStride + 4 * bChunk;
                if (byOutput != 0) {
                    int pb = p + 8 * bChunk;
                    ctx.copyAsync(tileB, at, w, (z * n + col0 + r) * ldw + pb, col0 + r < n && pb < k1);
                } else {
                    int col = col0 + 8 * bChunk;
                    ctx.copyAsync(tileB, at, w, (z * k + p + r) * ldw + col, p + r < k1 && col < n);
                }
            }
            ctx.commitCopies();
            for (@Unroll int slice = 0; slice < TC_SLICES; slice++) {
                if (t >= 0 && byOutput != 0) {
                    ctx.mmaTiles(acc, 0, tileA, (t % TC_STAGES * WTC_BLOCK + warpRow) * TC_FLOAT_STRIDE + 16 * slice,
                            TC_FLOAT_STRIDE, WTC_TILES_M, tileB, t % TC_STAGES * WTC_B_TILE + warpCol * TC_STRIDE
                                    + 8 * slice, TC_STRIDE, WTC_TILES_N);
                } else if (t >= 0) {
                    ctx.mmaTilesTransposed(acc, 0, tileA, (t % TC_STAGES * WTC_BLOCK + warpRow) * TC_FLOAT_STRIDE
                            + 16 * slice, TC_FLOAT_STRIDE, WTC_TILES_M, tileB, t % TC_STAGES * WTC_B_TILE + warpCol / 2
                                    + 16 * slice * WTC_ROW_STRIDE, WTC_ROW_STRIDE, WTC_TILES_N);
                }
            }
        }
        for (int i = 0; i < WTC_TILES_M; i++) {
            for (int j = 0; j < WTC_TILES_N; j++) {
                for (int e = 0; e < 4; e++) {
                    int row = row0 + warpRow + i * 16 + ctx.mmaRow(e);
                    int column = col0 + warpCol + j * 8 + ctx.mmaCol(e);
                    if (row < m && column < n) {
                        c.set((z * n + row * ldc + column) * splits + s, acc[(i * WTC_TILES_N + j) * 4 + e]
                                + (biased != 0 && s == 0 ? bias.get(z * n + column) : 0f));
                    }
                }
            }
        }
    }

    /**
     * Whether {@link #weightsTensorCore} takes these strides: its copies move 16 bytes from 16-byte
     * aligned addresses. Host-side helper.
     */
    public static boolean weightsTensorCoreAligned(int lda, int ldw, int k) {
        return lda % 4 == 0 && ldw % 8 == 0 && k % 8 == 0;
    }

    /**
     * The launch grid of {@link #weightsTensorCore}: one work-group of {@value #WTC_THREADS} items per
     * WTC_BLOCK x WTC_BLOCK block of each of {@code batch} m x n products. Host-side helper, not a kernel.
     */
    public static WorkerGrid3D weightsTensorCoreGrid(int m, int n, int batch) {
        WorkerGrid3D grid = new WorkerGrid3D((long) (n + WTC_BLOCK - 1) / WTC_BLOCK * WTC_THREADS,
                (m + WTC_BLOCK - 1) / WTC_BLOCK, batch);
        grid.setLocalWork(WTC_THREADS, 1, 1);
        return grid;
    }

    /**
     * The launch grid of {@link #hgemmTensorCore} and {@link #hgemmTensorCoreHalf} for an m x n
     * product: one work-group of {@value #TC_THREADS} items (x) per TC_BLOCK x TC_BLOCK block of
     * C, column blocks along x, row blocks along y. Host-side helper, not a kernel.
     */
    public static WorkerGrid2D tensorCoreGrid(int m, int n) {
        WorkerGrid2D grid = new WorkerGrid2D((long) (n + TC_BLOCK - 1) / TC_BLOCK * TC_THREADS,
                (m + TC_BLOCK - 1) / TC_BLOCK);
        grid.setLocalWork(TC_THREADS, 1, 1);
        return grid;
    }

    /**
     * The launch grid of {@link #weightsBlocked} and {@link #weightsBlockedHalf}: one
     * (MID_THREADS x MID_THREADS) work-group per MID x MID block of each of {@code batch} m x n
     * products. Host-side helper, not a kernel.
     */
    public static WorkerGrid3D weightsGrid(int m, int n, int batch) {
        WorkerGrid3D grid = new WorkerGrid3D((long) (n + MID - 1) / MID * MID_THREADS,
                (long) (m + MID - 1) / MID * MID_THREADS, batch);
        grid.setLocalWork(MID_THREADS, MID_THREADS, 1);
        return grid;
    }

    /**
     * {@code c[i] = sum over s < splits of parts[i * splits + s]} for {@code i < rows * ldc}: the
     * parts of a product that {@link #weightsBlocked} split along k, added in order (so the result
     * is the same at every launch).
     */
    public static void sumSplits(FloatArray parts, FloatArray c, int splits, int rows, int ldc) {
        for (@Parallel int i = 0; i < rows * ldc; i++) {
            c.set(i, partsSum(parts, i, splits));
        }
    }

    /**
     * Element {@code i} of a product held as {@code splits} parts per element ({@link #weightsBlocked}'s
     * layout), its parts added in order from part 0 (with one part: the element itself, bit for bit).
     * A device function of {@link #sumSplits} (and of {@code LayerNorm}'s residual norms, which
     * read a product in parts, as a copy).
     */
    public static float partsSum(FloatArray parts, int i, int splits) {
        float sum = parts.get(i * splits);
        for (int s = 1; s < splits; s++) {
            sum += parts.get(i * splits + s);
        }
        return sum;
    }

    /**
     * Depth of each of the {@code splits} parts of a k-deep product in {@link #weightsBlocked}: an
     * equal share rounded up to whole {@value #BLOCK_K}-deep steps (the last part may be shorter,
     * or empty). Also a host-side helper.
     */
    public static int splitDepth(int k, int splits) {
        return ((k + splits - 1) / splits + BLOCK_K - 1) / BLOCK_K * BLOCK_K;
    }

    /** Element (row, col) at {@code base + row * stride + col} of a rows x cols matrix, 0 outside it. */
    private static float stridedOrZero(FloatArray x, int base, int row, int rows, int stride, int col, int cols) {
        return row < rows && col < cols ? x.get(base + row * stride + col) : 0f;
    }

    /** W element (p, j) at {@code base + j * strideN + p * strideK} for j < n, p < k, else 0. */
    private static float weightOrZero(FloatArray w, int base, int j, int n, int strideN, int p, int k, int strideK) {
        return j < n && p < k ? w.get(base + j * strideN + p * strideK) : 0f;
    }

    /** {@link #weightOrZero} for fp16 storage, widened to fp32. */
    private static float halfWeightOrZero(HalfFloatArray w, int base, int j, int n, int strideN, int p, int k,
            int strideK) {
        return j < n && p < k ? w.get(base + j * strideN + p * strideK) : 0f;
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
