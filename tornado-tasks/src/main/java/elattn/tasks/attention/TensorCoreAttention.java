package elattn.tasks.attention;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.KernelMath;
import elattn.kernel.Unroll;

/**
 * Attention on tensor cores, the states in fp16, the other operands rounded to fp16 and products
 * summed in fp32 ({@link KernelContext#mmaTiles}): over key tables shared by a sentence's rows,
 * {@link Attention#scoresBlocked} and {@link Attention#contextBlocked} as {@link #scores} and
 * {@link #context}; over a table per row (EL's decoder self-attention), {@link Attention#scoresRows}
 * and {@link Attention#contextRows} as {@link #scoresRows} and {@link #contextRows}; and
 * {@link #fused}, the encoder's MHA in one kernel. For EL cross-attention ({@code headStride} 0) scores and context are most of a decode
 * step's arithmetic (bart-large at 256 sentences x 4 beams: 824 GFLOP per step, every one of a
 * sentence's 4 beams x 16 heads reads all of its H, which EL then keeps in fp16). CUDA only (compute
 * capability 8.0+; the JVM runs the intrinsics' Java forms); the blocked and tiled kernels are the
 * portable fp32 forms.
 *
 * <p>Scores and context have the blocked kernels' block shape, grid ({@link Attention#blockedGrid})
 * and local size ({@link Attention#BLOCK_GROUP} = 128 items, 4 warps): a work-group computes
 * {@value #LANES} lanes (EL: a sentence's 4 beams x 16 heads, lane {@code r * heads + h}; MHA: rows
 * {@code r} of head {@code z}) against {@value #KEYS} keys (scores) or columns (context), and
 * makes one pass per run of lanes with one key table, so any tables are exact (and fast where a
 * block's lanes share one). The 4 warps split the block 2 x 2, each 32 lanes x 64 keys
 * (columns) as 2 x 8 mma tiles. Their operands stream through {@value #STAGES} stages of local
 * tiles by {@link KernelContext#copyAsync} (16-byte copies that bypass registers), steps of
 * {@value #DEPTH} along the reduction, as in {@code Gemm.hgemmTensorCore}:
 *
 * <pre>
 *   scores:  queries[lanes, c..c+32)   fp32 ──► tileA (lanes x 32) ─┐
 *            states[slot(k0..), c..+32) fp16 ──► tileB (keys x 32)  ─┴─► mmaTiles x 2 ─► acc ─► scores (scaled, -inf masked)
 *   context: p[lanes, j..j+32)          fp32 ──► tileA (lanes x 32) ─┐
 *            states[slot(j..j+32), c0..] fp16 ──► tileB (32 x cols)  ─┴─► mmaTilesTransposed x 2 ─► acc ─► out
 * </pre>
 */
public final class TensorCoreAttention {
    /** Lanes of a block: {@link Attention#BLOCK_LANES}. */
    private static final int LANES = Attention.BLOCK_LANES;
    /** Keys (columns) of a block: {@link Attention#BLOCK_KEYS}. */
    private static final int KEYS = Attention.BLOCK_KEYS;
    /** Work items: {@link Attention#BLOCK_GROUP}, 4 warps. */
    private static final int ITEMS = Attention.BLOCK_GROUP;
    /** Reduction depth per step: two mma16816 k-slices, so a barrier every 32 columns (keys). */
    private static final int DEPTH = 32;
    /** The k-slices of a step. */
    private static final int SLICES = DEPTH / 16;
    /** Row stride in ints of {@link #scores}'s fp16 state tiles (16 pairs + 4): the 8 rows of a fragment read start in 8 distinct groups of 4 banks. */
    private static final int STRIDE = DEPTH / 2 + 4;
    /**
     * Tile stages in local memory of {@link #scores} (61 KiB) and {@link #context} (56 KiB): past the
     * 48 KiB of static local memory, so dynamic shared memory ({@code DynamicLocalMemory}).
     */
    private static final int STAGES = 3;
    /** Row stride in floats of the fp32 tiles (32 + 8): each half-warp's float2 fragment reads hit 32 distinct banks. */
    private static final int FLOAT_STRIDE = DEPTH + 8;
    /** 16-byte copies per fp32 tile row (8), and the rows the items copy per pass (128 / 8 = 16). */
    private static final int CHUNKS = DEPTH / 4;
    private static final int CHUNK_ROWS = ITEMS / CHUNKS;
    /** Row stride in ints of {@link #context}'s state tiles (a key's 128 fp16 columns + 4 pairs): 16-byte rows, ldmatrix without bank conflicts. */
    private static final int COLUMN_STRIDE = KEYS / 2 + 4;
    /** 16-byte copies per state row of {@link #context} (16), and the keys the items copy per pass (8). */
    private static final int COLUMN_CHUNKS = KEYS / 8;
    private static final int KEY_ROWS = ITEMS / COLUMN_CHUNKS;
    /** 16-byte copies per fp16 tile row (4), and the rows the items copy per pass (32). */
    private static final int HALF_CHUNKS = DEPTH / 8;
    private static final int HALF_CHUNK_ROWS = ITEMS / HALF_CHUNKS;
    /** A warp's part of the block: 32 lanes x 64 keys, 2 x 8 tiles of 16 x 8. */
    private static final int WARP_LANES = 32;
    private static final int WARP_KEYS = 64;
    private static final int TILES_M = WARP_LANES / 16;
    private static final int TILES_N = WARP_KEYS / 8;

    /** Widest head {@link #fused} takes: its tiles hold 64 columns. */
    public static final int FUSED_WIDTH = 64;
    /** Keys per block of {@link #fused}. */
    private static final int FUSED_KEYS = 64;
    /** Row stride in ints of {@link #fused}'s tiles: 32 pairs + 4, so a fragment's 8 rows start in distinct banks. */
    private static final int FUSED_STRIDE = FUSED_WIDTH / 2 + 4;
    /** Rows of a tile of {@link #fused} the items copy per pass, a pair each: 128 / 32 = 4. */
    private static final int FUSED_COPY_ROWS = ITEMS / (FUSED_WIDTH / 2);
    /** 16-byte copies per key (value) row of {@link #fused} (8 fp16 columns each: 8), and the rows its items copy per pass (16). */
    private static final int FUSED_CHUNKS = FUSED_WIDTH / 8;
    private static final int FUSED_KEY_ROWS = ITEMS / FUSED_CHUNKS;
    /** 16 x 8 tiles of a warp's 16 x 64 scores (and of its 16 x 64 outputs). */
    private static final int FUSED_TILES = FUSED_KEYS / 8;

    /** Items of the row forms ({@link #scoresRows}, {@link #contextRows}): {@link Attention#ROW_GROUP}, 8 warps. */
    private static final int ROW_ITEMS = Attention.ROW_GROUP;
    private static final int ROW_WARPS = ROW_ITEMS / KernelContext.WARP;
    /** Lanes (heads of one row) of a row block: one mma tile down, {@link Attention#ROW_LANES}. */
    private static final int ROW_LANES = Attention.ROW_LANES;
    /** Keys of a {@link #scoresRows} block ({@link Attention#ROW_KEYS}: 8 mma tiles across), columns of a {@link #contextRows} block. */
    private static final int ROW_KEYS = Attention.ROW_KEYS;
    private static final int ROW_COLUMNS = Attention.ROW_COLUMNS;
    /** Columns of a {@link #scoresRows} stage: 16 (one mma k-slice) per warp. */
    private static final int ROW_DEPTH = 16 * ROW_WARPS;
    /** Its tiles' row strides: queries in floats (128 + 8), states in ints (64 pairs + 4). */
    private static final int ROW_FLOAT_STRIDE = ROW_DEPTH + 8;
    private static final int ROW_STRIDE = ROW_DEPTH / 2 + 4;
    /** 16-byte copies per query row (32) and per state row (16) of a stage, and the rows per pass (8, 16). */
    private static final int ROW_QUERY_CHUNKS = ROW_DEPTH / 4;
    private static final int ROW_QUERY_ROWS = ROW_ITEMS / ROW_QUERY_CHUNKS;
    private static final int ROW_STATE_CHUNKS = ROW_DEPTH / 8;
    private static final int ROW_STATE_ROWS = ROW_ITEMS / ROW_STATE_CHUNKS;
    /** Row stride of the warps' partial scores (64 keys + 4). */
    private static final int ROW_PARTIAL_STRIDE = ROW_KEYS + 4;
    /**
     * Floats of {@link #scoresRows}' query tile: its stages, which at the end hold the warps' partial
     * scores (34 KiB), so that the kernel keeps to 85 KiB of local memory (the 99 KiB a work-group may
     * have on compute capability 8.6 and 8.9; two work-groups per SM on 8.0 and 9.0).
     */
    private static final int ROW_TILE_A = STAGES * ROW_LANES * ROW_FLOAT_STRIDE > ROW_WARPS * ROW_LANES * ROW_PARTIAL_STRIDE
            ? STAGES * ROW_LANES * ROW_FLOAT_STRIDE : ROW_WARPS * ROW_LANES * ROW_PARTIAL_STRIDE;
    /** Keys of a {@link #contextRows} stage (two mma k-slices), and its state tiles' row stride in ints (256 columns: 128 pairs + 4). */
    private static final int ROW_KEY_DEPTH = 32;
    private static final int ROW_COLUMN_STRIDE = ROW_COLUMNS / 2 + 4;
    /** 16-byte copies per probability row (8) and per state row (32) of a {@link #contextRows} stage; state rows per pass (8). */
    private static final int ROW_P_CHUNKS = ROW_KEY_DEPTH / 4;
    private static final int ROW_COLUMN_CHUNKS = ROW_COLUMNS / 8;
    private static final int ROW_KEY_ROWS = ROW_ITEMS / ROW_COLUMN_CHUNKS;
    /** A {@link #contextRows} warp's columns (32: 4 mma tiles across). */
    private static final int ROW_WARP_COLUMNS = ROW_COLUMNS / ROW_WARPS;

    private TensorCoreAttention() {
    }

    /**
     * Raw scaled scores, as {@link Attention#scoresBlocked} leaves them ({@code -infinity} for no
     * key), on tensor cores. Launch
     * {@link Attention#blockedGrid}{@code (rows, heads, headStride, keyCount)} with local size
     * {@code (BLOCK_GROUP, 1, 1)}; the states in fp16, the sizes as {@link #copiesAligned} requires.
     *
     * <p>Per run of lanes with one key table, the block's queries (fp32) and its keys' states (fp16)
     * stream through {@value #STAGES} stages of tiles ({@value #DEPTH} columns each) by
     * {@link KernelContext#copyAsync}, as in {@code Gemm.hgemmTensorCore}: while the warps multiply
     * stage t ({@link KernelContext#mmaTiles}; the queries' fp32 pairs rounded to fp16 as the
     * fragments are read), the copies of the next two are in flight, and no item waits on a global read.
     */
    public static void scores(KernelContext ctx, FloatArray queries, HalfFloatArray states, IntArray keyTable,
            IntArray rowMap, FloatArray scores, int rows, int heads, int width, int headStride, int stateWidth,
            int keyStride, int keyCount, float scale) {
        float[] tileA = ctx.allocateFloatLocalArray(STAGES * LANES * FLOAT_STRIDE);
        int[] tileB = ctx.allocateIntLocalArray(STAGES * KEYS * STRIDE);
        int[] laneTable = ctx.allocateIntLocalArray(LANES);
        int[] tileSlot = ctx.allocateIntLocalArray(KEYS);
        int lanesPerRow = headStride == 0 ? heads : 1;
        int q0 = ctx.groupIdy * LANES;
        int k0 = ctx.groupIdx * KEYS;
        int live = Math.min(LANES, rows * lanesPerRow - q0);
        if (live <= 0 || k0 >= keyCount) {
            return;
        }
        int head = ctx.groupIdz;
        int column0 = head * headStride;
        int id = ctx.localIdx;
        int warpLane = id / KernelContext.WARP / 2 * WARP_LANES;
        int warpKey = id / KernelContext.WARP % 2 * WARP_KEYS;
        // This item copies chunk copyChunk (4 columns) of query rows copyRow + CHUNK_ROWS * l, and chunk
        // keyChunk (8 columns) of key rows keyRow + HALF_CHUNK_ROWS * l.
        int copyChunk = id % CHUNKS;
        int copyRow = id / CHUNKS;
        int keyChunk = id % HALF_CHUNKS;
        int keyRow = id / HALF_CHUNKS;
        if (id < LANES) {
            laneTable[id] = id < live ? rowMap.get((q0 + id) / lanesPerRow) * keyStride : -1;
        }
        float[] acc = new float[TILES_M * TILES_N * 4];
        int[] queryAt = new int[LANES / CHUNK_ROWS];
        int[] keyAt = new int[KEYS / HALF_CHUNK_ROWS];
        int steps = (width + DEPTH - 1) / DEPTH;
        int start = 0;
        while (start < live) {
            ctx.localBarrier();
            int table = laneTable[start];
            int end = start + 1;
            while (end < live && laneTable[end] == table) {
                end++;
            }
            tileSlot[id] = k0 + id < keyCount ? keyTable.get(table + k0 + id) : -1;
            ctx.localBarrier();
            for (@Unroll int l = 0; l < LANES / CHUNK_ROWS; l++) {
                int lane = copyRow + l * CHUNK_ROWS;
                queryAt[l] = lane >= start && lane < end ? query(q0 + lane, lanesPerRow, heads, head) * width : -1;
            }
            for (@Unroll int l = 0; l < KEYS / HALF_CHUNK_ROWS; l++) {
                int slot = tileSlot[keyRow + l * HALF_CHUNK_ROWS];
                keyAt[l] = slot >= 0 ? slot * stateWidth + column0 : -1;
            }
            for (int t = 1 - STAGES; t < steps; t++) {
                if (t >= 0) {
                    ctx.awaitCopies(STAGES - 2);
                    ctx.localBarrier();
                }
                int next = t + STAGES - 1;
                int c = next * DEPTH + 4 * copyChunk;
                for (@Unroll int l = 0; l < LANES / CHUNK_ROWS; l++) {
                    ctx.copyAsync(tileA, (next % STAGES * LANES + copyRow + l * CHUNK_ROWS) * FLOAT_STRIDE
                            + 4 * copyChunk, queries, queryAt[l] + c, queryAt[l] >= 0 && c < width);
                }
                int h = next * DEPTH + 8 * keyChunk;
                for (@Unroll int l = 0; l < KEYS / HALF_CHUNK_ROWS; l++) {
                    ctx.copyAsync(tileB, (next % STAGES * KEYS + keyRow + l * HALF_CHUNK_ROWS) * STRIDE + 4 * keyChunk,
                            states, keyAt[l] + h, keyAt[l] >= 0 && h < width);
                }
                ctx.commitCopies();
                if (t >= 0) {
                    for (@Unroll int slice = 0; slice < SLICES; slice++) {
                        ctx.mmaTiles(acc, 0, tileA, (t % STAGES * LANES + warpLane) * FLOAT_STRIDE + 16 * slice,
                                FLOAT_STRIDE, TILES_M, tileB, (t % STAGES * KEYS + warpKey) * STRIDE + 8 * slice,
                                STRIDE, TILES_N);
                    }
                }
            }
            // The zero-filling copies past the last step must land before the next run's.
            ctx.awaitCopies(0);
            for (@Unroll int i = 0; i < TILES_M; i++) {
                for (@Unroll int j = 0; j < TILES_N; j++) {
                    for (@Unroll int e = 0; e < 4; e++) {
                        int t = (i * TILES_N + j) * 4 + e;
                        int lane = warpLane + i * 16 + ctx.mmaRow(e);
                        int key = warpKey + j * 8 + ctx.mmaCol(e);
                        if (lane >= start && lane < end && k0 + key < keyCount) {
                            scores.set(query(q0 + lane, lanesPerRow, heads, head) * keyStride + k0 + key,
                                    tileSlot[key] >= 0 ? acc[t] * scale : Float.NEGATIVE_INFINITY);
                        }
                        acc[t] = 0f;
                    }
                }
            }
            start = end;
        }
    }

    /**
     * Whether {@link #scores} and {@link #context} take these sizes: their copies move 16 bytes (8
     * fp16 states, 4 fp32 queries or probabilities) from 16-byte-aligned addresses, so state rows
     * ({@code stateWidth}), head offsets ({@code headStride}) and query rows ({@code width}) must be
     * multiples of 8 and score rows ({@code keyStride}) of 4 (as bart-large's 1024 and 1024 are).
     * Host-side helper.
     */
    public static boolean copiesAligned(int width, int headStride, int stateWidth, int keyStride) {
        return width % 8 == 0 && headStride % 8 == 0 && stateWidth % 8 == 0 && keyStride % 4 == 0;
    }

    /**
     * {@code out[lane, c] = sum_j p[lane, j] * states[slot_j, head * headStride + c]}, as
     * {@link Attention#contextBlocked}, on tensor cores, the states in fp16. Launch
     * {@link Attention#blockedGrid}{@code (rows, heads, headStride, width)} with local size
     * {@code (BLOCK_GROUP, 1, 1)}; sizes as {@link #copiesAligned} requires, and the probabilities
     * past {@code keyCount} up to the next multiple of 4 zero (as {@link Attention#softmaxGroup}
     * leaves them), since they are copied in runs of 4.
     *
     * <p>Per run of lanes with one key table, {@value #DEPTH} keys a step: the lanes' probabilities
     * (fp32, {@value #LANES} x {@value #DEPTH}) and the keys' states (fp16, {@value #DEPTH} keys x
     * {@value #KEYS} columns, stored as they are, key-major) stream through {@value #STAGES} stages
     * by {@link KernelContext#copyAsync}; {@link KernelContext#mmaTilesTransposed} reads the states
     * transposed. The key slots of step t + 1 are read into registers during step t, so the copies
     * never wait on the key table.
     */
    public static void context(KernelContext ctx, FloatArray scores, HalfFloatArray states, IntArray keyTable,
            IntArray rowMap, FloatArray out, int rows, int heads, int width, int headStride, int stateWidth,
            int keyStride, int keyCount) {
        float[] tileA = ctx.allocateFloatLocalArray(STAGES * LANES * FLOAT_STRIDE);
        int[] tileB = ctx.allocateIntLocalArray(STAGES * DEPTH * COLUMN_STRIDE);
        int[] laneTable = ctx.allocateIntLocalArray(LANES);
        int lanesPerRow = headStride == 0 ? heads : 1;
        int q0 = ctx.groupIdy * LANES;
        int c0 = ctx.groupIdx * KEYS;
        int live = Math.min(LANES, rows * lanesPerRow - q0);
        if (live <= 0 || c0 >= width) {
            return;
        }
        int head = ctx.groupIdz;
        int id = ctx.localIdx;
        int warpLane = id / KernelContext.WARP / 2 * WARP_LANES;
        int warpColumn = id / KernelContext.WARP % 2 * WARP_KEYS;
        // This item copies chunk copyChunk (4 keys) of probability rows copyRow + CHUNK_ROWS * l, and
        // chunk columnChunk (8 columns) of the states of keys keyRow + KEY_ROWS * l of a step.
        int copyChunk = id % CHUNKS;
        int copyRow = id / CHUNKS;
        int columnChunk = id % COLUMN_CHUNKS;
        int keyRow = id / COLUMN_CHUNKS;
        int column = c0 + 8 * columnChunk;
        int stateColumn = head * headStride + column;
        if (id < LANES) {
            laneTable[id] = id < live ? rowMap.get((q0 + id) / lanesPerRow) * keyStride : -1;
        }
        float[] acc = new float[TILES_M * TILES_N * 4];
        int[] probabilityAt = new int[LANES / CHUNK_ROWS];
        // The slots of this item's keys in the step whose copies are issued next.
        int[] slot = new int[DEPTH / KEY_ROWS];
        int steps = (keyCount + DEPTH - 1) / DEPTH;
        int start = 0;
        while (start < live) {
            ctx.localBarrier();
            int table = laneTable[start];
            int end = start + 1;
            while (end < live && laneTable[end] == table) {
                end++;
            }
            for (@Unroll int l = 0; l < LANES / CHUNK_ROWS; l++) {
                int lane = copyRow + l * CHUNK_ROWS;
                probabilityAt[l] = lane >= start && lane < end
                        ? query(q0 + lane, lanesPerRow, heads, head) * keyStride : -1;
            }
            for (@Unroll int l = 0; l < DEPTH / KEY_ROWS; l++) {
                slot[l] = keySlot(keyTable, table, keyRow + l * KEY_ROWS, keyCount);
            }
            for (int t = 1 - STAGES; t < steps; t++) {
                if (t >= 0) {
                    ctx.awaitCopies(STAGES - 2);
                    ctx.localBarrier();
                }
                int next = t + STAGES - 1;
                int j = next * DEPTH + 4 * copyChunk;
                for (@Unroll int l = 0; l < LANES / CHUNK_ROWS; l++) {
                    ctx.copyAsync(tileA, (next % STAGES * LANES + copyRow + l * CHUNK_ROWS) * FLOAT_STRIDE
                            + 4 * copyChunk, scores, probabilityAt[l] + j, probabilityAt[l] >= 0 && j < keyCount);
                }
                for (@Unroll int l = 0; l < DEPTH / KEY_ROWS; l++) {
                    ctx.copyAsync(tileB, (next % STAGES * DEPTH + keyRow + l * KEY_ROWS) * COLUMN_STRIDE
                            + 4 * columnChunk, states, slot[l] * stateWidth + stateColumn,
                            slot[l] >= 0 && column < width);
                    slot[l] = keySlot(keyTable, table, (next + 1) * DEPTH + keyRow + l * KEY_ROWS, keyCount);
                }
                ctx.commitCopies();
                if (t >= 0) {
                    for (@Unroll int slice = 0; slice < SLICES; slice++) {
                        ctx.mmaTilesTransposed(acc, 0, tileA, (t % STAGES * LANES + warpLane) * FLOAT_STRIDE
                                + 16 * slice, FLOAT_STRIDE, TILES_M, tileB, (t % STAGES * DEPTH + 16 * slice)
                                        * COLUMN_STRIDE + warpColumn / 2, COLUMN_STRIDE, TILES_N);
                    }
                }
            }
            // The zero-filling copies past the last step must land before the next run's.
            ctx.awaitCopies(0);
            for (@Unroll int i = 0; i < TILES_M; i++) {
                for (@Unroll int jt = 0; jt < TILES_N; jt++) {
                    for (@Unroll int e = 0; e < 4; e++) {
                        int t = (i * TILES_N + jt) * 4 + e;
                        int lane = warpLane + i * 16 + ctx.mmaRow(e);
                        int c = c0 + warpColumn + jt * 8 + ctx.mmaCol(e);
                        if (lane >= start && lane < end && c < width) {
                            out.set(query(q0 + lane, lanesPerRow, heads, head) * width + c, acc[t]);
                        }
                        acc[t] = 0f;
                    }
                }
            }
            start = end;
        }
    }

    /**
     * EL's self-attention scores on tensor cores: {@link Attention#scoresRows} (a key table per row,
     * a row's ancestry) with the states in fp16. Launch
     * {@link Attention#rowGrid}{@code (rows, heads, keyCount, ROW_KEYS)} with local size
     * {@code (ROW_GROUP, 1)}, sizes as {@link #copiesAligned} requires ({@code headStride} 0):
     * work-group {@code (x, y)} computes the {@value #ROW_LANES} heads of one row (y) against
     * {@value #ROW_KEYS} keys (x), both exactly one mma tile down and 8 across, so no lane is
     * computed for another table.
     *
     * <p>A stage holds {@value #ROW_DEPTH} columns of the row's queries (fp32) and of its keys'
     * states (fp16), streamed by {@link KernelContext#copyAsync} through {@value #STAGES} stages;
     * each of the 8 warps multiplies its own 16 of them (the reduction split across the warps), and
     * the warps' partial 16 x 64 scores are summed in local memory at the end:
     * <pre>
     *   queries[r, h0.., c..c+128) fp32 ─► tileA ─┐   warp w: columns c + 16w .. (mmaTiles 1 x 8) ─► acc
     *   states[slot(k0..), c..c+128) fp16 ─► tileB ┘   Σ over warps (local) ─► scores (scaled, -inf for no key)
     * </pre>
     */
    public static void scoresRows(KernelContext ctx, FloatArray queries, HalfFloatArray states, IntArray keyTable,
            IntArray rowMap, FloatArray scores, int rows, int heads, int width, int stateWidth, int keyStride,
            int keyCount, float scale) {
        float[] tileA = ctx.allocateFloatLocalArray(ROW_TILE_A);
        int[] tileB = ctx.allocateIntLocalArray(STAGES * ROW_KEYS * ROW_STRIDE);
        int[] tileSlot = ctx.allocateIntLocalArray(ROW_KEYS);
        int laneBlocks = (heads + ROW_LANES - 1) / ROW_LANES;
        int r = ctx.groupIdy / laneBlocks;
        int h0 = (ctx.groupIdy - r * laneBlocks) * ROW_LANES;
        int k0 = ctx.groupIdx * ROW_KEYS;
        if (r >= rows || k0 >= keyCount) {
            return;
        }
        int id = ctx.localIdx;
        int warp = id / KernelContext.WARP;
        int table = rowMap.get(r) * keyStride;
        if (id < ROW_KEYS) {
            tileSlot[id] = k0 + id < keyCount ? keyTable.get(table + k0 + id) : -1;
        }
        ctx.localBarrier();
        // This item copies chunk queryChunk (4 columns) of heads h0 + queryLane + ROW_QUERY_ROWS * l, and
        // chunk stateChunk (8 columns) of the states of keys stateKey + ROW_STATE_ROWS * l.
        int queryChunk = id % ROW_QUERY_CHUNKS;
        int queryLane = id / ROW_QUERY_CHUNKS;
        int stateChunk = id % ROW_STATE_CHUNKS;
        int stateKey = id / ROW_STATE_CHUNKS;
        int[] queryAt = new int[ROW_LANES / ROW_QUERY_ROWS];
        int[] stateAt = new int[ROW_KEYS / ROW_STATE_ROWS];
        for (@Unroll int l = 0; l < ROW_LANES / ROW_QUERY_ROWS; l++) {
            int h = h0 + queryLane + l * ROW_QUERY_ROWS;
            queryAt[l] = h < heads ? (r * heads + h) * width : -1;
        }
        for (@Unroll int l = 0; l < ROW_KEYS / ROW_STATE_ROWS; l++) {
            int slot = tileSlot[stateKey + l * ROW_STATE_ROWS];
            stateAt[l] = slot >= 0 ? slot * stateWidth : -1;
        }
        float[] acc = new float[ROW_KEYS / 8 * 4];
        int steps = (width + ROW_DEPTH - 1) / ROW_DEPTH;
        for (int t = 1 - STAGES; t < steps; t++) {
            if (t >= 0) {
                ctx.awaitCopies(STAGES - 2);
                ctx.localBarrier();
            }
            int next = t + STAGES - 1;
            int c = next * ROW_DEPTH + 4 * queryChunk;
            for (@Unroll int l = 0; l < ROW_LANES / ROW_QUERY_ROWS; l++) {
                ctx.copyAsync(tileA, (next % STAGES * ROW_LANES + queryLane + l * ROW_QUERY_ROWS) * ROW_FLOAT_STRIDE
                        + 4 * queryChunk, queries, queryAt[l] + c, queryAt[l] >= 0 && c < width);
            }
            int sc = next * ROW_DEPTH + 8 * stateChunk;
            for (@Unroll int l = 0; l < ROW_KEYS / ROW_STATE_ROWS; l++) {
                ctx.copyAsync(tileB, (next % STAGES * ROW_KEYS + stateKey + l * ROW_STATE_ROWS) * ROW_STRIDE
                        + 4 * stateChunk, states, stateAt[l] + sc, stateAt[l] >= 0 && sc < width);
            }
            ctx.commitCopies();
            if (t >= 0) {
                ctx.mmaTiles(acc, 0, tileA, t % STAGES * ROW_LANES * ROW_FLOAT_STRIDE + 16 * warp, ROW_FLOAT_STRIDE,
                        1, tileB, t % STAGES * ROW_KEYS * ROW_STRIDE + 8 * warp, ROW_STRIDE, ROW_KEYS / 8);
            }
        }
        // The partial scores go where the queries were: after the copies past the last step have landed
        // and every warp has read its last stage.
        ctx.awaitCopies(0);
        ctx.localBarrier();
        for (@Unroll int j = 0; j < ROW_KEYS / 8; j++) {
            for (@Unroll int e = 0; e < 4; e++) {
                tileA[(warp * ROW_LANES + ctx.mmaRow(e)) * ROW_PARTIAL_STRIDE + j * 8 + ctx.mmaCol(e)] = acc[j * 4 + e];
            }
        }
        ctx.localBarrier();
        for (int o = id; o < ROW_LANES * ROW_KEYS; o += ROW_ITEMS) {
            int lane = o / ROW_KEYS;
            int key = o % ROW_KEYS;
            float sum = 0f;
            for (int w = 0; w < ROW_WARPS; w++) {
                sum += tileA[(w * ROW_LANES + lane) * ROW_PARTIAL_STRIDE + key];
            }
            if (h0 + lane < heads && k0 + key < keyCount) {
                scores.set((r * heads + h0 + lane) * keyStride + k0 + key,
                        tileSlot[key] >= 0 ? sum * scale : Float.NEGATIVE_INFINITY);
            }
        }
    }

    /**
     * EL's self-attention context on tensor cores: {@link Attention#contextRows} with the states in
     * fp16. Launch {@link Attention#rowGrid}{@code (rows, heads, width, ROW_COLUMNS)} with local size
     * {@code (ROW_GROUP, 1)}; sizes as {@link #copiesAligned} requires and the probabilities past
     * {@code keyCount} up to the next multiple of 4 zero (as {@link Attention#softmaxGroup} leaves
     * them). Work-group {@code (x, y)}: the {@value #ROW_LANES} heads of row y, columns
     * {@code x * ROW_COLUMNS ..}, each warp {@value #ROW_WARP_COLUMNS} of them (1 x 4 mma tiles).
     *
     * <p>{@value #ROW_KEY_DEPTH} keys a stage: the heads' probabilities (fp32) and the keys' states
     * (fp16, key-major, read transposed by {@link KernelContext#mmaTilesTransposed}) stream through
     * {@value #STAGES} stages by {@link KernelContext#copyAsync}; the key slots of a stage are read into
     * registers a stage ahead.
     */
    public static void contextRows(KernelContext ctx, FloatArray scores, HalfFloatArray states, IntArray keyTable,
            IntArray rowMap, FloatArray out, int rows, int heads, int width, int stateWidth, int keyStride,
            int keyCount) {
        float[] tileA = ctx.allocateFloatLocalArray(STAGES * ROW_LANES * FLOAT_STRIDE);
        int[] tileB = ctx.allocateIntLocalArray(STAGES * ROW_KEY_DEPTH * ROW_COLUMN_STRIDE);
        int laneBlocks = (heads + ROW_LANES - 1) / ROW_LANES;
        int r = ctx.groupIdy / laneBlocks;
        int h0 = (ctx.groupIdy - r * laneBlocks) * ROW_LANES;
        int c0 = ctx.groupIdx * ROW_COLUMNS;
        if (r >= rows || c0 >= width) {
            return;
        }
        int id = ctx.localIdx;
        int warpColumn = id / KernelContext.WARP * ROW_WARP_COLUMNS;
        int table = rowMap.get(r) * keyStride;
        // This item copies chunk pChunk (4 keys) of head h0 + pLane (items below 128), and chunk
        // columnChunk (8 columns) of the states of keys keyRow + ROW_KEY_ROWS * l of a stage.
        int pChunk = id % ROW_P_CHUNKS;
        int pLane = id / ROW_P_CHUNKS;
        int probabilityAt = pLane < ROW_LANES && h0 + pLane < heads ? (r * heads + h0 + pLane) * keyStride : -1;
        int columnChunk = id % ROW_COLUMN_CHUNKS;
        int keyRow = id / ROW_COLUMN_CHUNKS;
        int column = c0 + 8 * columnChunk;
        int[] slot = new int[ROW_KEY_DEPTH / ROW_KEY_ROWS];
        for (@Unroll int l = 0; l < ROW_KEY_DEPTH / ROW_KEY_ROWS; l++) {
            slot[l] = keySlot(keyTable, table, keyRow + l * ROW_KEY_ROWS, keyCount);
        }
        float[] acc = new float[ROW_WARP_COLUMNS / 8 * 4];
        int steps = (keyCount + ROW_KEY_DEPTH - 1) / ROW_KEY_DEPTH;
        for (int t = 1 - STAGES; t < steps; t++) {
            if (t >= 0) {
                ctx.awaitCopies(STAGES - 2);
                ctx.localBarrier();
            }
            int next = t + STAGES - 1;
            int j = next * ROW_KEY_DEPTH + 4 * pChunk;
            if (pLane < ROW_LANES) {
                ctx.copyAsync(tileA, (next % STAGES * ROW_LANES + pLane) * FLOAT_STRIDE + 4 * pChunk, scores,
                        probabilityAt + j, probabilityAt >= 0 && j < keyCount);
            }
            for (@Unroll int l = 0; l < ROW_KEY_DEPTH / ROW_KEY_ROWS; l++) {
                ctx.copyAsync(tileB, (next % STAGES * ROW_KEY_DEPTH + keyRow + l * ROW_KEY_ROWS) * ROW_COLUMN_STRIDE
                        + 4 * columnChunk, states, slot[l] * stateWidth + column, slot[l] >= 0 && column < width);
                slot[l] = keySlot(keyTable, table, (next + 1) * ROW_KEY_DEPTH + keyRow + l * ROW_KEY_ROWS, keyCount);
            }
            ctx.commitCopies();
            if (t >= 0) {
                for (@Unroll int slice = 0; slice < ROW_KEY_DEPTH / 16; slice++) {
                    ctx.mmaTilesTransposed(acc, 0, tileA, t % STAGES * ROW_LANES * FLOAT_STRIDE + 16 * slice,
                            FLOAT_STRIDE, 1, tileB, (t % STAGES * ROW_KEY_DEPTH + 16 * slice) * ROW_COLUMN_STRIDE
                                    + warpColumn / 2, ROW_COLUMN_STRIDE, ROW_WARP_COLUMNS / 8);
                }
            }
        }
        for (@Unroll int jt = 0; jt < ROW_WARP_COLUMNS / 8; jt++) {
            for (@Unroll int e = 0; e < 4; e++) {
                int h = h0 + ctx.mmaRow(e);
                int c = c0 + warpColumn + jt * 8 + ctx.mmaCol(e);
                if (h < heads && c < width) {
                    out.set((r * heads + h) * width + c, acc[jt * 4 + e]);
                }
            }
        }
    }

    /**
     * MHA over key tables a sentence's rows share (the encoder), scores, softmax and context in one
     * kernel on tensor cores, flash-attention style: no score ever goes to global memory. Heads at
     * most {@value #FUSED_WIDTH} wide ({@code width <= FUSED_WIDTH}, {@code headStride > 0}; bart-large
     * and Marian have 64), keys and values in fp16 with the sizes {@link #copiesAligned} takes;
     * {@code out[(r * heads + h) * width + c]} as {@link Attention#context} leaves it. Launch
     * {@link #fusedGrid}{@code (rows, heads)} with local size {@code (BLOCK_GROUP, 1)}: work-group
     * {@code (x, h)} computes rows {@code x * 64 ..} of head h, one pass per run of rows with one key
     * table (exact for any tables).
     *
     * <p>Blocks of {@value #FUSED_KEYS} keys stream through {@value #STAGES} stages of local tiles by
     * {@link KernelContext#copyAsync}, keys and values alike as stored (key-major); the key slots of a
     * block are read a block ahead. Per block each warp (16 rows) computes its 16 x 64 scores on tensor
     * cores into registers, takes the rows' running maximum and sum across the four items that share a
     * row through local memory, rescales its 16 x 64 output accumulators, writes its probabilities as
     * fp16 pairs and adds their product with the values ({@link KernelContext#mmaTilesTransposed}):
     * <pre>
     *   Q[rows, :]  ──► tileQ (once per pass)
     *   block b:  K[slot(b..b+64), :] ──► tileK[b % 3] ─┐   V[slot(b..), :] ──► tileV[b % 3] ─┐   (copies of b + 1, b + 2 in flight)
     *             S = tileQ . tileKᵀ (mma) ─► m' = max(m, max S); p = exp(S - m') ─► tileP ───┴─► O = O e^(m - m') + p V (mma)
     *   out = O / sum p
     * </pre>
     */
    public static void fused(KernelContext ctx, FloatArray queries, HalfFloatArray keys, HalfFloatArray values,
            IntArray keyTable, IntArray rowMap, FloatArray out, int rows, int heads, int width, int headStride,
            int stateWidth, int keyStride, int keyCount, float scale) {
        int[] tileQ = ctx.allocateIntLocalArray(LANES * FUSED_STRIDE);
        int[] tileK = ctx.allocateIntLocalArray(STAGES * FUSED_KEYS * FUSED_STRIDE);
        int[] tileV = ctx.allocateIntLocalArray(STAGES * FUSED_KEYS * FUSED_STRIDE);
        int[] tileP = ctx.allocateIntLocalArray(LANES * FUSED_STRIDE);
        float[] partialMax = ctx.allocateFloatLocalArray(LANES * 4);
        float[] partialSum = ctx.allocateFloatLocalArray(LANES * 4);
        int[] laneTable = ctx.allocateIntLocalArray(LANES);
        int[] stageSlot = ctx.allocateIntLocalArray(STAGES * FUSED_KEYS);
        int q0 = ctx.groupIdx * LANES;
        int head = ctx.groupIdy;
        int live = Math.min(LANES, rows - q0);
        if (live <= 0) {
            return;
        }
        int id = ctx.localIdx;
        int warpLane = id / KernelContext.WARP * 16;
        int quad = ctx.mmaCol(0) / 2;
        int column0 = head * headStride;
        // The query pair copyPair of rows copyRow + FUSED_COPY_ROWS * l; chunk (8 columns) keyChunk of the
        // keys' and values' rows keyRow + FUSED_KEY_ROWS * l of a block.
        int copyPair = id % (FUSED_WIDTH / 2);
        int copyRow = id / (FUSED_WIDTH / 2);
        int c = 2 * copyPair;
        int keyChunk = id % FUSED_CHUNKS;
        int keyRow = id / FUSED_CHUNKS;
        int column = 8 * keyChunk;
        if (id < LANES) {
            laneTable[id] = id < live ? rowMap.get(q0 + id) * keyStride : -1;
        }
        float[] s = new float[FUSED_TILES * 4];
        float[] o = new float[FUSED_TILES * 4];
        // The slots of this item's keys in the block whose copies are issued next.
        int[] slot = new int[FUSED_KEYS / FUSED_KEY_ROWS];
        // The running maximum and sum of this item's two rows (entries e < 2: row warpLane + mmaRow(0), else + 8).
        float[] runMax = new float[2];
        float[] runSum = new float[2];
        // This block's maximum, then sum, of the two rows; the factor that rescales their outputs.
        float[] blockMax = new float[2];
        float[] scaleBy = new float[2];
        int blocks = (keyCount + FUSED_KEYS - 1) / FUSED_KEYS;
        int start = 0;
        while (start < live) {
            ctx.localBarrier();
            int table = laneTable[start];
            int end = start + 1;
            while (end < live && laneTable[end] == table) {
                end++;
            }
            for (@Unroll int l = 0; l < LANES / FUSED_COPY_ROWS; l++) {
                int lane = copyRow + l * FUSED_COPY_ROWS;
                boolean inRun = lane >= start && lane < end;
                int queryAt = ((q0 + lane) * heads + head) * width;
                tileQ[lane * FUSED_STRIDE + copyPair] = KernelMath.packHalf2(
                        inRun && c < width ? queries.get(queryAt + c) : 0f,
                        inRun && c + 1 < width ? queries.get(queryAt + c + 1) : 0f);
            }
            for (@Unroll int l = 0; l < FUSED_KEYS / FUSED_KEY_ROWS; l++) {
                slot[l] = keySlot(keyTable, table, keyRow + l * FUSED_KEY_ROWS, keyCount);
            }
            for (@Unroll int t = 0; t < FUSED_TILES * 4; t++) {
                o[t] = 0f;
            }
            for (@Unroll int r = 0; r < 2; r++) {
                runMax[r] = Float.NEGATIVE_INFINITY;
                runSum[r] = 0f;
            }
            for (int b = 1 - STAGES; b < blocks; b++) {
                if (b >= 0) {
                    ctx.awaitCopies(STAGES - 2);
                    ctx.localBarrier();
                }
                int next = b + STAGES - 1;
                for (@Unroll int l = 0; l < FUSED_KEYS / FUSED_KEY_ROWS; l++) {
                    int key = keyRow + l * FUSED_KEY_ROWS;
                    int at = (next % STAGES * FUSED_KEYS + key) * FUSED_STRIDE + 4 * keyChunk;
                    int from = slot[l] * stateWidth + column0 + column;
                    boolean inside = slot[l] >= 0 && column < width;
                    ctx.copyAsync(tileK, at, keys, from, inside);
                    ctx.copyAsync(tileV, at, values, from, inside);
                    if (keyChunk == 0) {
                        stageSlot[next % STAGES * FUSED_KEYS + key] = slot[l];
                    }
                    slot[l] = keySlot(keyTable, table, (next + 1) * FUSED_KEYS + key, keyCount);
                }
                ctx.commitCopies();
                if (b < 0) {
                    continue;
                }
                int stage = b % STAGES;
                for (@Unroll int t = 0; t < FUSED_TILES * 4; t++) {
                    s[t] = 0f;
                }
                for (@Unroll int step = 0; step < FUSED_WIDTH / 16; step++) {
                    ctx.mmaTiles(s, 0, tileQ, warpLane * FUSED_STRIDE + step * 8, FUSED_STRIDE, 1, tileK,
                            stage * FUSED_KEYS * FUSED_STRIDE + step * 8, FUSED_STRIDE, FUSED_TILES);
                }
                blockMax[0] = Float.NEGATIVE_INFINITY;
                blockMax[1] = Float.NEGATIVE_INFINITY;
                for (@Unroll int j = 0; j < FUSED_TILES; j++) {
                    for (@Unroll int e = 0; e < 4; e++) {
                        int key = j * 8 + ctx.mmaCol(e);
                        float v = stageSlot[stage * FUSED_KEYS + key] >= 0 ? s[j * 4 + e] * scale
                                : Float.NEGATIVE_INFINITY;
                        s[j * 4 + e] = v;
                        blockMax[e / 2] = Math.max(blockMax[e / 2], v);
                    }
                }
                for (@Unroll int r = 0; r < 2; r++) {
                    partialMax[(warpLane + ctx.mmaRow(2 * r)) * 4 + quad] = blockMax[r];
                }
                ctx.localBarrier();
                for (@Unroll int r = 0; r < 2; r++) {
                    int row = warpLane + ctx.mmaRow(2 * r);
                    float m = runMax[r];
                    for (@Unroll int t = 0; t < 4; t++) {
                        m = Math.max(m, partialMax[row * 4 + t]);
                    }
                    // No key yet: nothing to rescale, and exp(-inf - -inf) must not make NaN.
                    scaleBy[r] = m == Float.NEGATIVE_INFINITY ? 1f : KernelMath.exp(runMax[r] - m);
                    runMax[r] = m;
                    blockMax[r] = 0f;
                }
                for (@Unroll int j = 0; j < FUSED_TILES; j++) {
                    for (@Unroll int e = 0; e < 4; e++) {
                        float m = runMax[e / 2];
                        float p = m == Float.NEGATIVE_INFINITY ? 0f : KernelMath.exp(s[j * 4 + e] - m);
                        s[j * 4 + e] = p;
                        blockMax[e / 2] += p;
                        o[j * 4 + e] *= scaleBy[e / 2];
                    }
                    for (@Unroll int r = 0; r < 2; r++) {
                        tileP[(warpLane + ctx.mmaRow(2 * r)) * FUSED_STRIDE + j * 4 + quad] =
                                KernelMath.packHalf2(s[j * 4 + 2 * r], s[j * 4 + 2 * r + 1]);
                    }
                }
                for (@Unroll int r = 0; r < 2; r++) {
                    partialSum[(warpLane + ctx.mmaRow(2 * r)) * 4 + quad] = blockMax[r];
                }
                ctx.localBarrier();
                for (@Unroll int r = 0; r < 2; r++) {
                    int row = warpLane + ctx.mmaRow(2 * r);
                    float sum = 0f;
                    for (@Unroll int t = 0; t < 4; t++) {
                        sum += partialSum[row * 4 + t];
                    }
                    runSum[r] = runSum[r] * scaleBy[r] + sum;
                }
                for (@Unroll int step = 0; step < FUSED_KEYS / 16; step++) {
                    ctx.mmaTilesTransposed(o, 0, tileP, warpLane * FUSED_STRIDE + step * 8, FUSED_STRIDE, 1, tileV,
                            (stage * FUSED_KEYS + step * 16) * FUSED_STRIDE, FUSED_STRIDE, FUSED_TILES);
                }
            }
            // The zero-filling copies past the last block must land before the next run's.
            ctx.awaitCopies(0);
            for (@Unroll int j = 0; j < FUSED_TILES; j++) {
                for (@Unroll int e = 0; e < 4; e++) {
                    int lane = warpLane + ctx.mmaRow(e);
                    int col = j * 8 + ctx.mmaCol(e);
                    if (lane >= start && lane < end && col < width) {
                        float sum = runSum[e / 2];
                        out.set(((q0 + lane) * heads + head) * width + col, sum > 0f ? o[j * 4 + e] / sum : 0f);
                    }
                }
            }
            start = end;
        }
    }

    /**
     * The global size of {@link #fused}: blocks of {@value #LANES} rows along x, heads along y;
     * local size {@code (BLOCK_GROUP, 1)}. Host-side helper, not a kernel.
     */
    public static long[] fusedGrid(int rows, int heads) {
        return new long[] {Math.max(1, (rows + LANES - 1) / LANES) * (long) ITEMS, Math.max(1, heads)};
    }

    /** The slot of key {@code key} in the key table at {@code table}; -1 past the keys or without a state. */
    private static int keySlot(IntArray keyTable, int table, int key, int keyCount) {
        return key < keyCount ? keyTable.get(table + key) : -1;
    }

    /** The (row, head) index {@code r * heads + h} of a lane: lane r*heads+h (EL), or lane r of head {@code head} (MHA). */
    private static int query(int lane, int lanesPerRow, int heads, int head) {
        return lanesPerRow == 1 ? lane * heads + head : lane;
    }
}
