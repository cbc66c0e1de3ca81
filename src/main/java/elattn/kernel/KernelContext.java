package elattn.kernel;

import java.util.function.IntToDoubleFunction;

/**
 * Work-group style kernels take a {@code KernelContext} as their first parameter: it gives the
 * work item's ids, the sizes of the launch, barriers and local (work-group shared) memory, as
 * OpenCL and CUDA do. The launch grid is given per task ({@code ExecutionPlan.withGrid}).
 *
 * <pre>{@code
 * public static void sum(KernelContext ctx, FloatArray in, FloatArray out) {
 *     float[] part = ctx.allocateFloatLocalArray(256);   // shared by the work-group
 *     int l = ctx.localIdx;
 *     part[l] = in.get(ctx.globalIdx);
 *     for (int s = ctx.localGroupSizeX / 2; s > 0; s /= 2) {
 *         ctx.localBarrier();
 *         if (l < s) part[l] += part[l + s];
 *     }
 *     if (l == 0) out.set(ctx.groupIdx, part[0]);
 * }
 * }</pre>
 *
 * <p>When building a task graph pass {@code new KernelContext()}; the runtime gives each work item
 * its own context. Local array sizes must be compile-time constants.
 */
public final class KernelContext {
    /** Id of this work item in the whole launch, per dimension. */
    public final int globalIdx, globalIdy, globalIdz;
    /** Id of this work item within its work-group. */
    public final int localIdx, localIdy, localIdz;
    /** Id of the work-group. */
    public final int groupIdx, groupIdy, groupIdz;
    /** Number of work items in the whole launch, per dimension. */
    public final int globalGroupSizeX, globalGroupSizeY, globalGroupSizeZ;
    /** Number of work items in one work-group, per dimension. */
    public final int localGroupSizeX, localGroupSizeY, localGroupSizeZ;

    private final WorkGroup group;
    private int localArraysAllocated;

    /** The placeholder passed when a task is declared; the runtime supplies the real contexts. */
    public KernelContext() {
        this(new int[3], new int[3], new int[] {1, 1, 1}, new int[] {1, 1, 1}, null);
    }

    /**
     * A context for one work item, made by a backend that runs kernels as Java (the JVM backend).
     * Arrays are x, y, z; {@code group} provides the barrier and local memory of the work-group.
     */
    public KernelContext(int[] globalId, int[] localId, int[] globalSize, int[] localSize, WorkGroup group) {
        globalIdx = globalId[0];
        globalIdy = globalId[1];
        globalIdz = globalId[2];
        localIdx = localId[0];
        localIdy = localId[1];
        localIdz = localId[2];
        localGroupSizeX = localSize[0];
        localGroupSizeY = localSize[1];
        localGroupSizeZ = localSize[2];
        groupIdx = globalIdx / localGroupSizeX;
        groupIdy = globalIdy / localGroupSizeY;
        groupIdz = globalIdz / localGroupSizeZ;
        globalGroupSizeX = globalSize[0];
        globalGroupSizeY = globalSize[1];
        globalGroupSizeZ = globalSize[2];
        this.group = group;
    }

    /**
     * Waits until every work item of the work-group has reached this barrier; local memory
     * written before it is visible to the whole group after it. Every work item of the group must
     * reach the same barriers (do not call it under a condition that differs between items).
     */
    public void localBarrier() {
        requireGroup().barrier();
    }

    /** A float array in local memory, one per work-group; {@code size} must be a constant. */
    public float[] allocateFloatLocalArray(int size) {
        return requireGroup().floatArray(localArraysAllocated++, size);
    }

    /** An int array in local memory, one per work-group; {@code size} must be a constant. */
    public int[] allocateIntLocalArray(int size) {
        return requireGroup().intArray(localArraysAllocated++, size);
    }

    /** Work items of a warp, the unit that executes {@link #mma16816} together. */
    public static final int WARP = 32;

    /**
     * A warp-level tensor-core multiply-accumulate of fp16 tiles with fp32 accumulation, as PTX's
     * {@code mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32} (CUDA only, compute capability 8.0+):
     * the warp's 16x8 tile {@code D += A B}. The tiles are local int arrays of fp16 pairs
     * ({@link KernelMath#packHalf2}: element {@code 2q} in the low half of int {@code q}, {@code 2q + 1}
     * in the high half), both read along k, with strides and offsets counted in ints:
     * <pre>
     *   A[r][p] = half p % 2 of a[aOffset + r * lda + p / 2]     r < 16, p < 16   (row-major)
     *   B[p][j] = half p % 2 of b[bOffset + j * ldb + p / 2]     p < 16, j < 8    (n-major: row j of b is column j of B)
     *   acc[accOffset + e] += sum over p of A[mmaRow(e)][p] * B[p][mmaCol(e)]           e < 4
     * </pre>
     * so a product {@code C = A W^T} stages rows of A and rows of W alike. Products and sums are fp32.
     * Strides and offsets of these int tiles must be multiples of 4 (CUDA reads each fragment with one
     * {@code ldmatrix} from 16-byte rows; a stride of 4 modulo 32, such as 12, is also free of bank conflicts).
     *
     * <p>Every work item of a warp (32 consecutive items of the work-group, x fastest, so the group
     * size must be a multiple of 32) calls it at the same point of the code, with the same
     * {@code a}, {@code aOffset}, {@code lda}, {@code b}, {@code bOffset}, {@code ldb}, and its own
     * {@code acc}: the item's 4 accumulators of the 16x8 tile, entry {@code e} at row
     * {@link #mmaRow mmaRow(e)} and column {@link #mmaCol mmaCol(e)}. {@code a} and {@code b} are
     * local int arrays (written before a {@link #localBarrier()}), {@code acc} a private
     * {@code new float[4 * TILES]} holding one fragment per tile at offsets that are multiples of 4.
     *
     * <p>On the OpenCL backend a kernel that calls it fails to build (it says so); the JVM backend
     * computes the same sums (each item its own 4, from the shared tiles).
     */
    public void mma16816(float[] acc, int accOffset, int[] a, int aOffset, int lda, int[] b, int bOffset, int ldb) {
        mma(acc, accOffset, p -> half(a[aOffset + p / 2], p % 2), 2 * lda, p -> half(b[bOffset + p / 2], p % 2), 2 * ldb);
    }

    /**
     * {@link #mma16816(float[], int, int[], int, int, int[], int, int) mma16816} with A staged as fp32
     * (a local float array, say filled by {@link #copyAsync(float[], int, FloatArray, int, boolean)}):
     * {@code A[r][p] = a[aOffset + r * lda + p]} rounded to fp16 (to nearest even) as the fragments
     * are read. {@code aOffset} and {@code lda} must be even (the CUDA form reads pairs as float2).
     */
    public void mma16816(float[] acc, int accOffset, float[] a, int aOffset, int lda, int[] b, int bOffset, int ldb) {
        mma(acc, accOffset, p -> rounded(a[aOffset + p]), lda, p -> half(b[bOffset + p / 2], p % 2), 2 * ldb);
    }

    /**
     * {@link #mma16816(float[], int, int[], int, int, int[], int, int) mma16816} with both tiles staged
     * as fp32: {@code A[r][p] = a[aOffset + r * lda + p]}, {@code B[p][j] = b[bOffset + j * ldb + p]},
     * both rounded to fp16 as the fragments are read; offsets and strides even.
     */
    public void mma16816(float[] acc, int accOffset, float[] a, int aOffset, int lda, float[] b, int bOffset,
            int ldb) {
        mma(acc, accOffset, p -> rounded(a[aOffset + p]), lda, p -> rounded(b[bOffset + p]), ldb);
    }

    /**
     * A warp's {@code tilesM x tilesN} grid of mma16816 tiles for one k of 16, each fragment read
     * from local memory once: for {@code i < tilesM}, {@code j < tilesN},
     * {@code mma16816(acc, accOffset + (i * tilesN + j) * 4, a, aOffset + 16 * i * lda, lda, b,
     * bOffset + 8 * j * ldb, ldb)}. {@code tilesM} and {@code tilesN} must be constants. Issuing the
     * tiles one by one reads A's fragment for every j and B's for every i unless the compiler proves
     * the tiles unchanged; this form reads the warp's tilesM A and tilesN B fragments into registers
     * first, which takes the load on local memory (the MIO queue) from 6 reads per mma to
     * {@code (4 tilesM + 2 tilesN) / (tilesM tilesN)}.
     */
    public void mmaTiles(float[] acc, int accOffset, int[] a, int aOffset, int lda, int tilesM, int[] b, int bOffset,
            int ldb, int tilesN) {
        for (int i = 0; i < tilesM * tilesN; i++) {
            mma16816(acc, accOffset + 4 * i, a, aOffset + 16 * (i / tilesN) * lda, lda, b,
                    bOffset + 8 * (i % tilesN) * ldb, ldb);
        }
    }

    /** {@link #mmaTiles(float[], int, int[], int, int, int, int[], int, int, int) mmaTiles} with an fp32 A tile. */
    public void mmaTiles(float[] acc, int accOffset, float[] a, int aOffset, int lda, int tilesM, int[] b,
            int bOffset, int ldb, int tilesN) {
        for (int i = 0; i < tilesM * tilesN; i++) {
            mma16816(acc, accOffset + 4 * i, a, aOffset + 16 * (i / tilesN) * lda, lda, b,
                    bOffset + 8 * (i % tilesN) * ldb, ldb);
        }
    }

    /** {@link #mmaTiles(float[], int, int[], int, int, int, int[], int, int, int) mmaTiles} with fp32 A and B tiles. */
    public void mmaTiles(float[] acc, int accOffset, float[] a, int aOffset, int lda, int tilesM, float[] b,
            int bOffset, int ldb, int tilesN) {
        for (int i = 0; i < tilesM * tilesN; i++) {
            mma16816(acc, accOffset + 4 * i, a, aOffset + 16 * (i / tilesN) * lda, lda, b,
                    bOffset + 8 * (i % tilesN) * ldb, ldb);
        }
    }

    /**
     * {@link #mmaTiles(float[], int, float[], int, int, int, int[], int, int, int) mmaTiles} with B
     * staged k-major, as rows of a matrix {@code (k x n)} are stored (say states, whose columns are
     * the product's n): {@code B_j[p][c]} is half {@code (8 j + c) % 2} of
     * {@code b[bOffset + p * ldb + (8 j + c) / 2]}, p < 16. {@code ldb} and {@code bOffset} must be
     * multiples of 4 (CUDA reads each 8 x 8 block of B transposed with {@code ldmatrix.trans}, from
     * 16-byte rows).
     */
    public void mmaTilesTransposed(float[] acc, int accOffset, float[] a, int aOffset, int lda, int tilesM, int[] b,
            int bOffset, int ldb, int tilesN) {
        for (int i = 0; i < tilesM * tilesN; i++) {
            int rowOffset = aOffset + 16 * (i / tilesN) * lda;
            mma(acc, accOffset + 4 * i, p -> rounded(a[rowOffset + p]), lda, transposed(b, bOffset, ldb, 8 * (i % tilesN)),
                    16);
        }
    }

    /**
     * {@link #mmaTilesTransposed(float[], int, float[], int, int, int, int[], int, int, int)
     * mmaTilesTransposed} with an fp16 pair A tile (as {@link #mmaTiles}' int A).
     */
    public void mmaTilesTransposed(float[] acc, int accOffset, int[] a, int aOffset, int lda, int tilesM, int[] b,
            int bOffset, int ldb, int tilesN) {
        for (int i = 0; i < tilesM * tilesN; i++) {
            int rowOffset = aOffset + 16 * (i / tilesN) * lda;
            mma(acc, accOffset + 4 * i, p -> half(a[rowOffset + p / 2], p % 2), 2 * lda,
                    transposed(b, bOffset, ldb, 8 * (i % tilesN)), 16);
        }
    }

    /** A k-major B tile's columns {@code column0 ..} as {@link #mma} reads B: element {@code c * 16 + p} is {@code B[p][c]}. */
    private static IntToDoubleFunction transposed(int[] b, int bOffset, int ldb, int column0) {
        return q -> half(b[bOffset + q % 16 * ldb + (column0 + q / 16) / 2], (column0 + q / 16) % 2);
    }

    /**
     * The Java form of the mma16816 overloads: {@code a.applyAsDouble(r * aStride + p)} is
     * {@code A[r][p]} and {@code b.applyAsDouble(j * bStride + p)} is {@code B[p][j]}, strides in
     * fp16 elements.
     */
    private void mma(float[] acc, int accOffset, IntToDoubleFunction a, int aStride, IntToDoubleFunction b,
            int bStride) {
        if (linearLocalSize() % WARP != 0) {
            throw new IllegalStateException("mma16816 is executed by whole warps: the work-group size ("
                    + linearLocalSize() + " items) must be a multiple of " + WARP);
        }
        for (int e = 0; e < 4; e++) {
            int aRow = mmaRow(e) * aStride;
            int bColumn = mmaCol(e) * bStride;
            float sum = 0f;
            for (int p = 0; p < 16; p++) {
                sum += (float) a.applyAsDouble(aRow + p) * (float) b.applyAsDouble(bColumn + p);
            }
            acc[accOffset + e] += sum;
        }
    }

    /**
     * Starts copying 4 floats {@code source[from .. from + 3]} into {@code local[at .. at + 3]}, or
     * writes 4 zeros there when {@code inside} is false ({@code source} is then not read); on CUDA
     * one 16-byte {@code cp.async} that bypasses registers, so a kernel can have several tile stages
     * in flight while it computes. {@code at} and {@code from} must be multiples of 4. The copy is
     * part of this item's current group: {@link #commitCopies()} closes the group,
     * {@link #awaitCopies(int)} waits for this item's groups, and a {@link #localBarrier()} after the
     * wait makes every item's copies visible to the work-group. The JVM copies at once. CUDA only
     * (compute capability 8.0+), like {@link #mma16816}.
     */
    public void copyAsync(float[] local, int at, FloatArray source, int from, boolean inside) {
        for (int i = 0; i < 4; i++) {
            local[at + i] = inside ? source.get(from + i) : 0f;
        }
    }

    /**
     * Starts copying 8 fp16 values {@code source[from .. from + 7]} into {@code local[at .. at + 3]}
     * as 4 fp16 pairs (element {@code 2q} in the low half of int {@code q}, as
     * {@link KernelMath#packHalf2} packs them: the tiles {@link #mma16816} reads), or 4 zero ints
     * when {@code inside} is false; {@code at} a multiple of 4, {@code from} of 8. Otherwise as
     * {@link #copyAsync(float[], int, FloatArray, int, boolean)}.
     */
    public void copyAsync(int[] local, int at, HalfFloatArray source, int from, boolean inside) {
        for (int q = 0; q < 4; q++) {
            local[at + q] = inside ? Short.toUnsignedInt(source.getHalfBits(from + 2 * q))
                    | source.getHalfBits(from + 2 * q + 1) << 16 : 0;
        }
    }

    /** Closes this item's current group of {@link #copyAsync} copies (an empty group is allowed). */
    public void commitCopies() {
    }

    /**
     * Waits until at most {@code pending} (a constant) of this item's committed copy groups are still
     * in flight: with {@code pending} = stages - 2 in a pipeline of that many stages, the oldest
     * stage has landed. Follow it with {@link #localBarrier()} before reading other items' copies.
     */
    public void awaitCopies(int pending) {
    }

    /** Row within the 16x8 tile of entry {@code e} (0..3) of this item's {@link #mma16816} accumulators. */
    public int mmaRow(int e) {
        return lane() / 4 + e / 2 * 8;
    }

    /** Column within the 16x8 tile of entry {@code e} (0..3) of this item's {@link #mma16816} accumulators. */
    public int mmaCol(int e) {
        return lane() % 4 * 2 + e % 2;
    }

    /** This item's lane in its warp: warps are runs of 32 items in x-fastest order, as on CUDA. */
    private int lane() {
        return (localIdx + localGroupSizeX * (localIdy + localGroupSizeY * localIdz)) % WARP;
    }

    private int linearLocalSize() {
        return localGroupSizeX * localGroupSizeY * localGroupSizeZ;
    }

    /** The low ({@code which} 0) or high fp16 of a {@link KernelMath#packHalf2} pair, widened. */
    private static float half(int pair, int which) {
        return Float.float16ToFloat((short) (pair >>> 16 * which));
    }

    /** {@code v} rounded to fp16 (to nearest even), widened back. */
    private static float rounded(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    private WorkGroup requireGroup() {
        if (group == null) {
            throw new IllegalStateException("this KernelContext is the placeholder given when a task is declared;"
                    + " run the kernel through a TaskGraph so each work item gets its own context");
        }
        return group;
    }

    /**
     * What the work items of one work-group share when a kernel runs as Java: the barrier and the
     * local arrays, identified by their allocation order ({@code slot}) within the kernel.
     */
    public interface WorkGroup {
        void barrier();

        float[] floatArray(int slot, int size);

        int[] intArray(int slot, int size);
    }
}
