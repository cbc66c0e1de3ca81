package elattn.tasks.attention;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.KernelMath;
import elattn.kernel.Parallel;

/**
 * Scaled dot-product attention over cached states, in one form shared by multi-head attention
 * (MHA) and EL-attention, for cross- and self-attention alike.
 *
 * <p>A query row {@code r} has {@code heads} query vectors of {@code width} floats, at
 * {@code queries[(r * heads + h) * width]}. Its keys are listed in a key table: key {@code j} of
 * row {@code r} is the state at slot {@code keyTable[rowMap[r] * keyStride + j]} (a row of
 * {@code stateWidth} floats of {@code states}), or no key when the entry is negative (padding). Head
 * {@code h} reads the key's columns {@code [h * headStride, h * headStride + width)}.
 * <ul>
 *   <li>MHA: queries are the projected q (rows x d, i.e. rows x heads x dh), states are projected
 *       K or V, {@code width = dh}, {@code headStride = dh}.</li>
 *   <li>EL: queries are the expanded queries q~ = q W^K_h (rows x heads x d, see
 *       {@link ElAttention#expandQuery}), states are the raw states H (encoder output or cached layer
 *       inputs), {@code width = d}, {@code headStride = 0}: every head reads all of H.</li>
 * </ul>
 * The key table is what makes cross-attention, self-attention and beams one thing: for
 * cross-attention it is the source positions of the row's sentence ({@code rowMap} = the row's
 * sentence, or its copy for MHA); for decoder self-attention it is the row's ancestry
 * ({@link History#ancestry}), so no cache is ever gathered when beams are reordered.
 *
 * <p>{@link #scores} writes softmax probabilities ({@code rows x heads x keyStride}), then
 * {@link #context} their weighted sum of states ({@code rows x heads x width}). A row without any
 * key gets all-zero probabilities and a zero context (never NaN). Masked keys are skipped, never
 * multiplied by zero, so garbage in unused cache slots cannot leak in.
 *
 * <p><b>Forms.</b> {@link #scores} and {@link #context} are the loop forms (one work item per
 * row and head, resp. output element), right for the JVM and any device with few cores. On a GPU
 * they leave the keys sequential and re-read every state once per query. The work-group forms see
 * attention as the small GEMMs it is: raw scores ({@code -infinity} for no key), then
 * {@link #softmaxGroup}, then the context. The queries that read the same states are <i>lanes</i>
 * of one matrix,
 * <ul>
 *   <li>EL ({@code headStride == 0}): lane {@code r * heads + h}, so the {@code heads} queries of a
 *       row, and for cross-attention every beam of a sentence (consecutive rows with the same
 *       {@code rowMap}), are {@code beams * heads} lanes over one sentence's H;</li>
 *   <li>MHA ({@code headStride > 0}): lane {@code r} of head {@code z} (the grid's third
 *       dimension), e.g. in the encoder all positions of a sentence over its keys.</li>
 * </ul>
 * Which form suits depends on who shares states (AttentionLayer picks):
 * <ul>
 *   <li>{@link #scoresBlocked} / {@link #contextBlocked}: EL over tables shared by a sentence's rows
 *       (cross-attention), register-blocked as {@code Gemm.sgemmBlocked} for the d-long reductions:
 *       blocks of {@value #BLOCK_LANES} lanes x {@value #BLOCK_KEYS} keys (columns),
 *       {@value #MICRO} x {@value #MICRO} outputs per item, states staged once per block. A block makes one pass per run of lanes with one key
 *       table, so any tables are exact; a block whose lanes are one sentence's makes one.</li>
 *   <li>{@link #scoresRows} / {@link #contextRows}: EL with a table per row (self-attention over
 *       each row's ancestry): a work-group per row (and block of keys, resp. columns) stages the row's
 *       states once for its heads, and the scores split the d-long reduction within the group, so
 *       even a few keys give one work-group per row.</li>
 *   <li>{@link #scoresTiled} / {@link #contextTiled}: blocks of {@value #TILE} x {@value #TILE}
 *       lanes x keys (columns), 4 x 4 outputs per item, for MHA over shared tables (the encoder). The
 *       states of a block are those of the key table of its FIRST lane's row; a lane whose row has
 *       another table reads the keys whose slot differs directly from global memory (correct for
 *       any table; fast only when tables agree).</li>
 *   <li>{@link #rawScores} (one item per score) and {@link #context}: MHA with a table per row
 *       (decode steps), where no two lanes share a state.</li>
 * </ul>
 */
public final class Attention {
    /** Lanes and keys (scores) or lanes and columns (context) of one work-group's block. */
    public static final int TILE = 64;
    /** Work-group edge of the tiled forms: local size (GROUP_EDGE, GROUP_EDGE, 1). */
    public static final int GROUP_EDGE = 16;
    /** Outputs per item along each edge: TILE / GROUP_EDGE. */
    private static final int BLOCK = 4;
    /** Columns of a state staged per step of {@link #scoresTiled}. */
    private static final int CHUNK = 32;
    /** Keys staged per step of {@link #contextTiled}. */
    private static final int KEY_CHUNK = 32;
    /** Padded row of the transposed local tiles (avoids bank conflicts on the transposing store). */
    private static final int PAD = TILE + 1;
    /** Work-group size of {@link #softmaxGroup}: one group per (row, head). */
    public static final int SOFTMAX_GROUP = 128;

    /** Lanes of one block of {@link #scoresBlocked} and {@link #contextBlocked}: a sentence's 4 beams x 16 heads. */
    public static final int BLOCK_LANES = 64;
    /** Keys ({@link #scoresBlocked}) or columns ({@link #contextBlocked}) of one block. */
    public static final int BLOCK_KEYS = 128;
    /** Edge of the micro-tile of a block each work item keeps in registers. */
    private static final int MICRO = 8;
    /** Work items of a blocked work-group, one dimension: (BLOCK_LANES / MICRO) x (BLOCK_KEYS / MICRO). */
    public static final int BLOCK_GROUP = BLOCK_LANES / MICRO * (BLOCK_KEYS / MICRO);
    /** Items along the keys (columns) of a block: an item is (tx, ty) = (id % KEY_ITEMS, id / KEY_ITEMS). */
    private static final int KEY_ITEMS = BLOCK_KEYS / MICRO;
    /** A micro-tile row (column) is two runs of 4 consecutive lanes (keys), half a block apart. */
    private static final int RUN = 4;
    /** Columns (keys) of the reduction staged per step of the blocked forms. */
    private static final int DEPTH = 8;
    /** Row strides of the transposed tiles: the padding of 4 makes the transposing stores conflict-free. */
    private static final int LANE_STRIDE = BLOCK_LANES + 4;
    private static final int KEY_STRIDE = BLOCK_KEYS + 4;
    /** Lanes (keys) the items copy per pass, DEPTH values each; and the passes per tile. */
    private static final int COPY_ROWS = BLOCK_GROUP / DEPTH;
    private static final int LANE_LOADS = BLOCK_LANES / COPY_ROWS;
    private static final int KEY_LOADS = BLOCK_KEYS / COPY_ROWS;

    /** Work-group size of {@link #scoresRows} and {@link #contextRows}. */
    public static final int ROW_GROUP = 256;
    /** Heads of one row per work-group of the row forms (more heads: more work-groups per row). */
    public static final int ROW_LANES = 16;
    /** Keys of one work-group of {@link #scoresRows}. */
    public static final int ROW_KEYS = 64;
    /** Columns of one work-group of {@link #contextRows}: one per item in the copies, ROW_MICRO per item in the sums. */
    public static final int ROW_COLUMNS = 256;
    /** Edge of the micro-tile of an item of the row forms. */
    private static final int ROW_MICRO = 4;
    private static final int ROW_LANE_ITEMS = ROW_LANES / ROW_MICRO;
    private static final int ROW_KEY_ITEMS = ROW_KEYS / ROW_MICRO;
    private static final int ROW_COLUMN_ITEMS = ROW_COLUMNS / ROW_MICRO;
    /** Items that cover all ROW_LANES x ROW_KEYS scores once; {@link #scoresRows} has ROW_SPLITS such sets. */
    private static final int ROW_SPLIT_ITEMS = ROW_LANE_ITEMS * ROW_KEY_ITEMS;
    private static final int ROW_SPLITS = ROW_GROUP / ROW_SPLIT_ITEMS;
    /** Columns staged per step of {@link #scoresRows}, ROW_SPLIT_COLUMNS for each split. */
    private static final int ROW_CHUNK = 64;
    private static final int ROW_SPLIT_COLUMNS = ROW_CHUNK / ROW_SPLITS;
    /** Heads (keys) the items copy per pass of {@link #scoresRows}, ROW_CHUNK columns each; and the passes. */
    private static final int ROW_COPY_ROWS = ROW_GROUP / ROW_CHUNK;
    private static final int ROW_LANE_LOADS = ROW_LANES / ROW_COPY_ROWS;
    private static final int ROW_KEY_LOADS = ROW_KEYS / ROW_COPY_ROWS;
    /** Keys staged per step of {@link #contextRows}. */
    private static final int ROW_KEY_CHUNK = 16;

    private Attention() {
    }

    /**
     * Softmax over keys of {@code scale * (query . key)} for every row and head.
     *
     * <pre>
     *   queries[r,h,:] ──┐
     *                    ├─► s_j = scale * q . states[keyTable[rowMap[r], j], h*headStride ..] ─► softmax ─► scores[r,h,j]
     *   keyTable ────────┘     (j &lt; keyCount; negative slot: no key)
     * </pre>
     */
    public static void scores(FloatArray queries, FloatArray states, IntArray keyTable, IntArray rowMap,
            FloatArray scores, int rows, int heads, int width, int headStride, int stateWidth, int keyStride,
            int keyCount, float scale) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int h = 0; h < heads; h++) {
                int table = rowMap.get(r) * keyStride;
                int q = (r * heads + h) * width;
                int out = (r * heads + h) * keyStride;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < keyCount; j++) {
                    int slot = keyTable.get(table + j);
                    if (slot >= 0) {
                        int k = slot * stateWidth + h * headStride;
                        float dot = 0f;
                        for (int c = 0; c < width; c++) {
                            dot += queries.get(q + c) * states.get(k + c);
                        }
                        float s = dot * scale;
                        max = KernelMath.max(max, s);
                        scores.set(out + j, s);
                    }
                }
                float sum = 0f;
                for (int j = 0; j < keyCount; j++) {
                    float e = 0f;
                    if (keyTable.get(table + j) >= 0) {
                        e = KernelMath.exp(scores.get(out + j) - max);
                    }
                    scores.set(out + j, e);
                    sum += e;
                }
                float inverse = sum > 0f ? 1f / sum : 0f;
                for (int j = 0; j < keyCount; j++) {
                    scores.set(out + j, scores.get(out + j) * inverse);
                }
            }
        }
    }

    /**
     * Weighted sum of states with the probabilities of {@link #scores}:
     * {@code out[r,h,c] = sum_j scores[r,h,j] * states[slot_j, h*headStride + c]}.
     */
    public static void context(FloatArray scores, FloatArray states, IntArray keyTable, IntArray rowMap,
            FloatArray out, int rows, int heads, int width, int headStride, int stateWidth, int keyStride,
            int keyCount) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int h = 0; h < heads; h++) {
                for (@Parallel int c = 0; c < width; c++) {
                    int table = rowMap.get(r) * keyStride;
                    int p = (r * heads + h) * keyStride;
                    int column = h * headStride + c;
                    float sum = 0f;
                    for (int j = 0; j < keyCount; j++) {
                        int slot = keyTable.get(table + j);
                        if (slot >= 0) {
                            sum += scores.get(p + j) * states.get(slot * stateWidth + column);
                        }
                    }
                    out.set((r * heads + h) * width + c, sum);
                }
            }
        }
    }

    /**
     * Raw scaled scores {@code scale * (query . key)} ({@code -infinity} for a key without state), one
     * work item per (row, head, key); {@link #softmaxGroup} then normalises them. The GPU form for
     * MHA with a key table per row (the decode step's self-attention and cross-attention over
     * per-row copies): no two lanes share a state there, so there is nothing to stage, and one item
     * per score is the widest launch.
     */
    public static void rawScores(FloatArray queries, FloatArray states, IntArray keyTable, IntArray rowMap,
            FloatArray scores, int rows, int heads, int width, int headStride, int stateWidth, int keyStride,
            int keyCount, float scale) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int h = 0; h < heads; h++) {
                for (@Parallel int j = 0; j < keyCount; j++) {
                    int slot = keyTable.get(rowMap.get(r) * keyStride + j);
                    float s = Float.NEGATIVE_INFINITY;
                    if (slot >= 0) {
                        s = scale * dotProduct(queries, (r * heads + h) * width, states, slot * stateWidth + h * headStride,
                                width);
                    }
                    scores.set((r * heads + h) * keyStride + j, s);
                }
            }
        }
    }

    /**
     * Raw scaled scores {@code scale * (query . key)} ({@code -infinity} for a key without state),
     * work-group form of the first half of {@link #scores}; {@link #softmaxGroup} then normalises
     * them. Lanes: {@code lanes = rows * heads} when {@code headStride == 0} (EL), else
     * {@code lanes = rows} per head. Launch a 3-D grid of global size
     * {@code (ceil(keyCount / TILE) * GROUP_EDGE, ceil(lanes / TILE) * GROUP_EDGE, headStride == 0 ? 1 : heads)}
     * and local size {@code (GROUP_EDGE, GROUP_EDGE, 1)}.
     *
     * <pre>
     *   per CHUNK of columns:  queries[lanes q0.., c..] ──► tileQ ─┐
     *                          states[slot(k0..), c..]  ──► tileK ─┴─► acc[4 lanes][4 keys] += tileQ . tileK
     * </pre>
     */
    public static void scoresTiled(KernelContext ctx, FloatArray queries, FloatArray states, IntArray keyTable,
            IntArray rowMap, FloatArray scores, int rows, int heads, int width, int headStride, int stateWidth,
            int keyStride, int keyCount, float scale) {
        float[] tileQ = ctx.allocateFloatLocalArray(CHUNK * PAD);
        float[] tileK = ctx.allocateFloatLocalArray(CHUNK * PAD);
        int[] tileSlot = ctx.allocateIntLocalArray(TILE);
        int lanesPerRow = headStride == 0 ? heads : 1;
        int lanes = rows * lanesPerRow;
        int q0 = ctx.groupIdy * TILE;
        int k0 = ctx.groupIdx * TILE;
        if (q0 >= lanes || k0 >= keyCount) {
            return;
        }
        int head = ctx.groupIdz;
        int column0 = head * headStride;
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int t = ty * GROUP_EDGE + tx;
        int table0 = rowMap.get(q0 / lanesPerRow) * keyStride;
        if (t < TILE) {
            tileSlot[t] = k0 + t < keyCount ? keyTable.get(table0 + k0 + t) : -1;
        }
        float[] acc = new float[BLOCK * BLOCK];
        for (int c0 = 0; c0 < width; c0 += CHUNK) {
            ctx.localBarrier();
            for (int e = t; e < TILE * CHUNK; e += GROUP_EDGE * GROUP_EDGE) {
                int l = e / CHUNK;
                int c = e - l * CHUNK;
                int lane = q0 + l;
                float qv = 0f;
                if (lane < lanes && c0 + c < width) {
                    qv = queries.get(query(lane, lanesPerRow, heads, head) * width + c0 + c);
                }
                tileQ[c * PAD + l] = qv;
                int slot = tileSlot[l];
                float kv = 0f;
                if (slot >= 0 && c0 + c < width) {
                    kv = states.get(slot * stateWidth + column0 + c0 + c);
                }
                tileK[c * PAD + l] = kv;
            }
            ctx.localBarrier();
            for (int c = 0; c < CHUNK; c++) {
                for (int j = 0; j < BLOCK; j++) {
                    float a = tileQ[c * PAD + ty + j * GROUP_EDGE];
                    for (int i = 0; i < BLOCK; i++) {
                        acc[j * BLOCK + i] += a * tileK[c * PAD + tx + i * GROUP_EDGE];
                    }
                }
            }
        }
        for (int j = 0; j < BLOCK; j++) {
            int lane = q0 + ty + j * GROUP_EDGE;
            if (lane < lanes) {
                int r = lane / lanesPerRow;
                int table = rowMap.get(r) * keyStride;
                int qi = query(lane, lanesPerRow, heads, head);
                for (int i = 0; i < BLOCK; i++) {
                    int kk = tx + i * GROUP_EDGE;
                    int key = k0 + kk;
                    if (key < keyCount) {
                        int slot = table == table0 ? tileSlot[kk] : keyTable.get(table + key);
                        float s = Float.NEGATIVE_INFINITY;
                        if (slot >= 0) {
                            float dot = acc[j * BLOCK + i];
                            if (slot != tileSlot[kk]) {
                                dot = dotProduct(queries, qi * width, states, slot * stateWidth + column0, width);
                            }
                            s = dot * scale;
                        }
                        scores.set(qi * keyStride + key, s);
                    }
                }
            }
        }
    }

    /**
     * Softmax in place over the first {@code keyCount} scores of each (row, head) (stride
     * {@code keyStride}) as {@link #scoresTiled} leaves them: {@code -infinity} (no key) becomes 0,
     * and a row without keys becomes all zeros. The probabilities past {@code keyCount} up to the next
     * multiple of 4 (within the stride) are set to 0, so that {@code TensorCoreAttention.context} may
     * copy them in runs of 4. Launch a 1-D grid of global size
     * {@code rows * heads * SOFTMAX_GROUP} (or more: groups past the scores return) and local size
     * {@code SOFTMAX_GROUP}; group {@code g} handles scores row {@code g = r * heads + h}.
     */
    public static void softmaxGroup(KernelContext ctx, FloatArray scores, int rows, int heads, int keyStride,
            int keyCount) {
        float[] partial = ctx.allocateFloatLocalArray(SOFTMAX_GROUP);
        int row = ctx.groupIdx;
        if (row >= rows * heads) {
            return;
        }
        int l = ctx.localIdx;
        int base = row * keyStride;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = l; j < keyCount; j += SOFTMAX_GROUP) {
            max = KernelMath.max(max, scores.get(base + j));
        }
        partial[l] = max;
        for (int s = SOFTMAX_GROUP / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                partial[l] = KernelMath.max(partial[l], partial[l + s]);
            }
        }
        ctx.localBarrier();
        max = partial[0];
        ctx.localBarrier();
        float sum = 0f;
        for (int j = l; j < keyCount; j += SOFTMAX_GROUP) {
            float v = scores.get(base + j);
            float e = v == Float.NEGATIVE_INFINITY ? 0f : KernelMath.exp(v - max);
            scores.set(base + j, e);
            sum += e;
        }
        partial[l] = sum;
        for (int s = SOFTMAX_GROUP / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                partial[l] += partial[l + s];
            }
        }
        ctx.localBarrier();
        float inverse = partial[0] > 0f ? 1f / partial[0] : 0f;
        for (int j = l; j < keyCount; j += SOFTMAX_GROUP) {
            scores.set(base + j, scores.get(base + j) * inverse);
        }
        for (int j = keyCount + l; j < Math.min(keyStride, (keyCount + 3) / 4 * 4); j += SOFTMAX_GROUP) {
            scores.set(base + j, 0f);
        }
    }

    /**
     * {@link #context}, work-group form: {@code out[lane, c] = sum_j p[lane, j] * states[slot_j, column0 + c]}
     * as a (lanes x keys) x (keys x width) product. Lanes as in {@link #scoresTiled}. Launch a 3-D grid of
     * global size {@code (ceil(width / TILE) * GROUP_EDGE, ceil(lanes / TILE) * GROUP_EDGE, headStride == 0 ? 1 : heads)}
     * and local size {@code (GROUP_EDGE, GROUP_EDGE, 1)}.
     *
     * <pre>
     *   per KEY_CHUNK of keys:  scores[lanes q0.., j..]  ──► tileP ─┐
     *                           states[slot(j..), c0..]  ──► tileV ─┴─► acc[4 lanes][4 columns] += tileP . tileV
     * </pre>
     */
    public static void contextTiled(KernelContext ctx, FloatArray scores, FloatArray states, IntArray keyTable,
            IntArray rowMap, FloatArray out, int rows, int heads, int width, int headStride, int stateWidth,
            int keyStride, int keyCount) {
        float[] tileP = ctx.allocateFloatLocalArray(KEY_CHUNK * PAD);
        float[] tileV = ctx.allocateFloatLocalArray(KEY_CHUNK * TILE);
        int[] tileSlot = ctx.allocateIntLocalArray(KEY_CHUNK);
        int[] laneTable = ctx.allocateIntLocalArray(TILE);
        int lanesPerRow = headStride == 0 ? heads : 1;
        int lanes = rows * lanesPerRow;
        int q0 = ctx.groupIdy * TILE;
        int c0 = ctx.groupIdx * TILE;
        if (q0 >= lanes || c0 >= width) {
            return;
        }
        int head = ctx.groupIdz;
        int column0 = head * headStride + c0;
        int tx = ctx.localIdx;
        int ty = ctx.localIdy;
        int t = ty * GROUP_EDGE + tx;
        int table0 = rowMap.get(q0 / lanesPerRow) * keyStride;
        if (t < TILE) {
            // Each lane's key table, once (-1 past the last lane).
            laneTable[t] = q0 + t < lanes ? rowMap.get((q0 + t) / lanesPerRow) * keyStride : -1;
        }
        float[] acc = new float[BLOCK * BLOCK];
        for (int j0 = 0; j0 < keyCount; j0 += KEY_CHUNK) {
            ctx.localBarrier();
            if (t < KEY_CHUNK) {
                tileSlot[t] = j0 + t < keyCount ? keyTable.get(table0 + j0 + t) : -1;
            }
            ctx.localBarrier();
            for (int e = t; e < TILE * KEY_CHUNK; e += GROUP_EDGE * GROUP_EDGE) {
                int l = e / KEY_CHUNK;
                int kk = e - l * KEY_CHUNK;
                int lane = q0 + l;
                float p = 0f;
                if (lane < lanes && j0 + kk < keyCount) {
                    int table = laneTable[l];
                    if (table == table0 || keyTable.get(table + j0 + kk) == tileSlot[kk]) {
                        p = scores.get(query(lane, lanesPerRow, heads, head) * keyStride + j0 + kk);
                    }
                }
                tileP[kk * PAD + l] = p;
                int kv = e / TILE;
                int cc = e - kv * TILE;
                int slot = tileSlot[kv];
                float v = 0f;
                if (slot >= 0 && c0 + cc < width) {
                    v = states.get(slot * stateWidth + column0 + cc);
                }
                tileV[kv * TILE + cc] = v;
            }
            ctx.localBarrier();
            for (int kk = 0; kk < KEY_CHUNK; kk++) {
                for (int j = 0; j < BLOCK; j++) {
                    float a = tileP[kk * PAD + ty + j * GROUP_EDGE];
                    for (int i = 0; i < BLOCK; i++) {
                        acc[j * BLOCK + i] += a * tileV[kk * TILE + tx + i * GROUP_EDGE];
                    }
                }
            }
        }
        for (int j = 0; j < BLOCK; j++) {
            int lane = q0 + ty + j * GROUP_EDGE;
            if (lane < lanes) {
                int table = rowMap.get(lane / lanesPerRow) * keyStride;
                int qi = query(lane, lanesPerRow, heads, head);
                if (table != table0) {
                    // This lane's row has its own key table: add the keys whose state the block did not stage.
                    for (int key = 0; key < keyCount; key++) {
                        int slot = keyTable.get(table + key);
                        if (slot >= 0 && slot != keyTable.get(table0 + key)) {
                            float p = scores.get(qi * keyStride + key);
                            for (int i = 0; i < BLOCK; i++) {
                                int c = c0 + tx + i * GROUP_EDGE;
                                if (c < width) {
                                    acc[j * BLOCK + i] += p * states.get(slot * stateWidth + head * headStride + c);
                                }
                            }
                        }
                    }
                }
                for (int i = 0; i < BLOCK; i++) {
                    int c = c0 + tx + i * GROUP_EDGE;
                    if (c < width) {
                        out.set(qi * width + c, acc[j * BLOCK + i]);
                    }
                }
            }
        }
    }

    /**
     * Raw scaled scores as {@link #scoresTiled} leaves them, register-blocked for the d-long
     * reductions of EL over shared key tables (cross-attention: a sentence's beams x heads lanes over
     * its H). Launch {@link #blockedGrid}{@code (rows, heads, headStride, keyCount)} with local size
     * {@code (BLOCK_GROUP, 1, 1)}: work-group {@code (x, y, z)} computes lanes
     * {@code y * BLOCK_LANES ..} (of head {@code z} for MHA) against keys {@code x * BLOCK_KEYS ..}.
     *
     * <p>As {@code Gemm.sgemmBlocked}: per step of {@value #DEPTH} columns, the items copy a
     * {@value #BLOCK_LANES} x {@value #DEPTH} query tile and a {@value #BLOCK_KEYS} x {@value #DEPTH}
     * state tile (rows gathered through the key table) transposed into local memory, read from global
     * memory during the previous step's arithmetic; each item then does {@value #MICRO} x
     * {@value #MICRO} FMAs per column on its accumulators (lanes {@code ty*4 + {0..3}} and
     * {@code 32 + ty*4 + {0..3}}, keys {@code tx*4 + {0..3}} and {@code 64 + tx*4 + {0..3}}).
     *
     * <p>The block makes one pass per run of consecutive lanes with the same key table (one pass
     * when a block's lanes are one sentence's, as with 4 beams x 16 heads): a pass stages the states
     * of its run's table, and the lanes outside the run stage zero queries and keep their results.
     *
     * <pre>
     *   per run of lanes with one table, per DEPTH columns:
     *     queries[run lanes, c..]  ──► tileQ ─┐
     *     states[slot(k0..), c..]  ──► tileK ─┴─► acc[8 lanes][8 keys] += tileQ . tileK ─► scores (run lanes)
     * </pre>
     */
    public static void scoresBlocked(KernelContext ctx, FloatArray queries, FloatArray states, IntArray keyTable,
            IntArray rowMap, FloatArray scores, int rows, int heads, int width, int headStride, int stateWidth,
            int keyStride, int keyCount, float scale) {
        float[] tileQ = ctx.allocateFloatLocalArray(DEPTH * LANE_STRIDE);
        float[] tileK = ctx.allocateFloatLocalArray(DEPTH * KEY_STRIDE);
        int[] laneTable = ctx.allocateIntLocalArray(BLOCK_LANES);
        int[] tileSlot = ctx.allocateIntLocalArray(BLOCK_KEYS);
        int lanesPerRow = headStride == 0 ? heads : 1;
        int q0 = ctx.groupIdy * BLOCK_LANES;
        int k0 = ctx.groupIdx * BLOCK_KEYS;
        int live = Math.min(BLOCK_LANES, rows * lanesPerRow - q0);
        if (live <= 0 || k0 >= keyCount) {
            return;
        }
        int head = ctx.groupIdz;
        int column0 = head * headStride;
        int id = ctx.localIdx;
        int tx = id % KEY_ITEMS;
        int ty = id / KEY_ITEMS;
        // This item's share of the copies: lanes and keys copyRow + COPY_ROWS * l, at column copyColumn of a step.
        int copyRow = id / DEPTH;
        int copyColumn = id % DEPTH;
        if (id < BLOCK_LANES) {
            laneTable[id] = id < live ? rowMap.get((q0 + id) / lanesPerRow) * keyStride : -1;
        }
        float[] acc = new float[MICRO * MICRO];
        float[] ra = new float[MICRO];
        float[] rb = new float[MICRO];
        float[] nextQ = new float[LANE_LOADS];
        float[] nextK = new float[KEY_LOADS];
        int[] queryAt = new int[LANE_LOADS];
        int[] keyAt = new int[KEY_LOADS];
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
            for (int l = 0; l < LANE_LOADS; l++) {
                int lane = copyRow + l * COPY_ROWS;
                queryAt[l] = lane >= start && lane < end ? query(q0 + lane, lanesPerRow, heads, head) * width : -1;
                nextQ[l] = valueOrZero(queries, queryAt[l], copyColumn, width);
            }
            for (int l = 0; l < KEY_LOADS; l++) {
                int slot = tileSlot[copyRow + l * COPY_ROWS];
                keyAt[l] = slot >= 0 ? slot * stateWidth + column0 : -1;
                nextK[l] = valueOrZero(states, keyAt[l], copyColumn, width);
            }
            for (int c0 = 0; c0 < width; c0 += DEPTH) {
                for (int l = 0; l < LANE_LOADS; l++) {
                    tileQ[copyColumn * LANE_STRIDE + copyRow + l * COPY_ROWS] = nextQ[l];
                }
                for (int l = 0; l < KEY_LOADS; l++) {
                    tileK[copyColumn * KEY_STRIDE + copyRow + l * COPY_ROWS] = nextK[l];
                }
                ctx.localBarrier();
                for (int l = 0; l < LANE_LOADS; l++) {
                    nextQ[l] = valueOrZero(queries, queryAt[l], c0 + DEPTH + copyColumn, width);
                }
                for (int l = 0; l < KEY_LOADS; l++) {
                    nextK[l] = valueOrZero(states, keyAt[l], c0 + DEPTH + copyColumn, width);
                }
                for (int p = 0; p < DEPTH; p++) {
                    for (int i = 0; i < MICRO; i++) {
                        ra[i] = tileQ[p * LANE_STRIDE + i / RUN * (BLOCK_LANES / 2) + ty * RUN + i % RUN];
                        rb[i] = tileK[p * KEY_STRIDE + i / RUN * (BLOCK_KEYS / 2) + tx * RUN + i % RUN];
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
                int lane = i / RUN * (BLOCK_LANES / 2) + ty * RUN + i % RUN;
                if (lane >= start && lane < end) {
                    int qi = query(q0 + lane, lanesPerRow, heads, head);
                    for (int j = 0; j < MICRO; j++) {
                        int kk = j / RUN * (BLOCK_KEYS / 2) + tx * RUN + j % RUN;
                        if (k0 + kk < keyCount) {
                            scores.set(qi * keyStride + k0 + kk,
                                    tileSlot[kk] >= 0 ? acc[i * MICRO + j] * scale : Float.NEGATIVE_INFINITY);
                        }
                    }
                }
                for (int j = 0; j < MICRO; j++) {
                    acc[i * MICRO + j] = 0f;
                }
            }
            start = end;
        }
    }

    /**
     * {@link #context}, register-blocked like {@link #scoresBlocked}: {@code out[lane, c] = sum_j p[lane, j] *
     * states[slot_j, column0 + c]} with blocks of {@value #BLOCK_LANES} lanes x {@value #BLOCK_KEYS}
     * columns, {@value #DEPTH} keys per step, one pass per run of lanes with the same key table.
     * Launch {@link #blockedGrid}{@code (rows, heads, headStride, width)} with local size
     * {@code (BLOCK_GROUP, 1, 1)}.
     *
     * <pre>
     *   per run of lanes with one table, per DEPTH keys:
     *     scores[run lanes, j..]  ──► tileP ─┐
     *     states[slot(j..), c0..] ──► tileV ─┴─► acc[8 lanes][8 columns] += tileP . tileV ─► out (run lanes)
     * </pre>
     */
    public static void contextBlocked(KernelContext ctx, FloatArray scores, FloatArray states, IntArray keyTable,
            IntArray rowMap, FloatArray out, int rows, int heads, int width, int headStride, int stateWidth,
            int keyStride, int keyCount) {
        float[] tileP = ctx.allocateFloatLocalArray(DEPTH * LANE_STRIDE);
        float[] tileV = ctx.allocateFloatLocalArray(DEPTH * KEY_STRIDE);
        int[] laneTable = ctx.allocateIntLocalArray(BLOCK_LANES);
        int lanesPerRow = headStride == 0 ? heads : 1;
        int q0 = ctx.groupIdy * BLOCK_LANES;
        int c0 = ctx.groupIdx * BLOCK_KEYS;
        int live = Math.min(BLOCK_LANES, rows * lanesPerRow - q0);
        if (live <= 0 || c0 >= width) {
            return;
        }
        int head = ctx.groupIdz;
        int id = ctx.localIdx;
        int tx = id % KEY_ITEMS;
        int ty = id / KEY_ITEMS;
        // Copies: probabilities of lanes copyRow + COPY_ROWS * l at key copyKey of a step; states of column c0 + id.
        int copyRow = id / DEPTH;
        int copyKey = id % DEPTH;
        int column = head * headStride + c0 + id;
        boolean inside = c0 + id < width;
        if (id < BLOCK_LANES) {
            laneTable[id] = id < live ? rowMap.get((q0 + id) / lanesPerRow) * keyStride : -1;
        }
        float[] acc = new float[MICRO * MICRO];
        float[] ra = new float[MICRO];
        float[] rb = new float[MICRO];
        float[] nextP = new float[LANE_LOADS];
        float[] nextV = new float[DEPTH];
        int[] probabilityAt = new int[LANE_LOADS];
        int start = 0;
        while (start < live) {
            ctx.localBarrier();
            int table = laneTable[start];
            int end = start + 1;
            while (end < live && laneTable[end] == table) {
                end++;
            }
            for (int l = 0; l < LANE_LOADS; l++) {
                int lane = copyRow + l * COPY_ROWS;
                probabilityAt[l] = lane >= start && lane < end
                        ? query(q0 + lane, lanesPerRow, heads, head) * keyStride : -1;
                nextP[l] = valueOrZero(scores, probabilityAt[l], copyKey, keyCount);
            }
            for (int l = 0; l < DEPTH; l++) {
                nextV[l] = keyState(states, keyTable, table, l, keyCount, stateWidth, column, inside);
            }
            for (int j0 = 0; j0 < keyCount; j0 += DEPTH) {
                for (int l = 0; l < LANE_LOADS; l++) {
                    tileP[copyKey * LANE_STRIDE + copyRow + l * COPY_ROWS] = nextP[l];
                }
                for (int l = 0; l < DEPTH; l++) {
                    tileV[l * KEY_STRIDE + id] = nextV[l];
                }
                ctx.localBarrier();
                for (int l = 0; l < LANE_LOADS; l++) {
                    nextP[l] = valueOrZero(scores, probabilityAt[l], j0 + DEPTH + copyKey, keyCount);
                }
                for (int l = 0; l < DEPTH; l++) {
                    nextV[l] = keyState(states, keyTable, table, j0 + DEPTH + l, keyCount, stateWidth, column, inside);
                }
                for (int p = 0; p < DEPTH; p++) {
                    for (int i = 0; i < MICRO; i++) {
                        ra[i] = tileP[p * LANE_STRIDE + i / RUN * (BLOCK_LANES / 2) + ty * RUN + i % RUN];
                        rb[i] = tileV[p * KEY_STRIDE + i / RUN * (BLOCK_KEYS / 2) + tx * RUN + i % RUN];
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
                int lane = i / RUN * (BLOCK_LANES / 2) + ty * RUN + i % RUN;
                if (lane >= start && lane < end) {
                    int qi = query(q0 + lane, lanesPerRow, heads, head);
                    for (int j = 0; j < MICRO; j++) {
                        int c = c0 + j / RUN * (BLOCK_KEYS / 2) + tx * RUN + j % RUN;
                        if (c < width) {
                            out.set(qi * width + c, acc[i * MICRO + j]);
                        }
                    }
                }
                for (int j = 0; j < MICRO; j++) {
                    acc[i * MICRO + j] = 0f;
                }
            }
            start = end;
        }
    }

    /**
     * Raw scaled scores as {@link #scoresTiled} leaves them, for EL ({@code headStride} 0) with a key
     * table per row (decoder self-attention over each row's ancestry): a work-group stages one row's
     * states once for its {@value #ROW_LANES} heads, so any table is exact with nothing to fall back
     * on, and splits the d-long reduction over its items so that few keys still give
     * {@code rows} work-groups of {@value #ROW_GROUP} items. Launch
     * {@link #rowGrid}{@code (rows, heads, keyCount, ROW_KEYS)} with local size
     * {@code (ROW_GROUP, 1)}: work-group {@code (x, y)} computes heads
     * {@code (y % ceil(heads / ROW_LANES)) * ROW_LANES ..} of row {@code y / ceil(heads / ROW_LANES)}
     * against keys {@code x * ROW_KEYS ..}.
     *
     * <p>Per step of {@value #ROW_CHUNK} columns the items copy the queries and the states into local
     * memory (transposed, read during the previous step); each of {@value #ROW_SPLITS} quarters of
     * the items does a quarter of the columns for all {@value #ROW_LANES} x {@value #ROW_KEYS}
     * scores, 4 x 4 per item (heads {@code ty + 4j}, keys {@code tx + 16i}); the quarters' sums are
     * added in local memory at the end.
     *
     * <pre>
     *   per ROW_CHUNK columns:  queries[r, h0.., c..] ──► tileQ ─┐
     *                           states[slot(k0..), c..] ─► tileK ─┴─► acc[split][4 heads][4 keys] ─► Σ splits ─► scores
     * </pre>
     */
    public static void scoresRows(KernelContext ctx, FloatArray queries, FloatArray states, IntArray keyTable,
            IntArray rowMap, FloatArray scores, int rows, int heads, int width, int stateWidth, int keyStride,
            int keyCount, float scale) {
        float[] tileQ = ctx.allocateFloatLocalArray(ROW_CHUNK * (ROW_LANES + 1));
        // The staged states, and at the end the splits' partial sums (ROW_SPLITS * ROW_LANES * ROW_KEYS floats).
        float[] tileK = ctx.allocateFloatLocalArray(ROW_CHUNK * (ROW_KEYS + 1));
        int[] tileSlot = ctx.allocateIntLocalArray(ROW_KEYS);
        int laneBlocks = (heads + ROW_LANES - 1) / ROW_LANES;
        int r = ctx.groupIdy / laneBlocks;
        int h0 = (ctx.groupIdy - r * laneBlocks) * ROW_LANES;
        int k0 = ctx.groupIdx * ROW_KEYS;
        if (r >= rows || k0 >= keyCount) {
            return;
        }
        int id = ctx.localIdx;
        int split = id / ROW_SPLIT_ITEMS;
        int tx = id % ROW_KEY_ITEMS;
        int ty = id % ROW_SPLIT_ITEMS / ROW_KEY_ITEMS;
        // This item's share of the copies: heads and keys copyRow + ROW_COPY_ROWS * l, at column copyColumn of a step.
        int copyRow = id / ROW_CHUNK;
        int copyColumn = id % ROW_CHUNK;
        int table = rowMap.get(r) * keyStride;
        if (id < ROW_KEYS) {
            tileSlot[id] = k0 + id < keyCount ? keyTable.get(table + k0 + id) : -1;
        }
        ctx.localBarrier();
        float[] nextQ = new float[ROW_LANE_LOADS];
        float[] nextK = new float[ROW_KEY_LOADS];
        int[] queryAt = new int[ROW_LANE_LOADS];
        int[] keyAt = new int[ROW_KEY_LOADS];
        for (int l = 0; l < ROW_LANE_LOADS; l++) {
            int h = h0 + copyRow + l * ROW_COPY_ROWS;
            queryAt[l] = h < heads ? (r * heads + h) * width : -1;
            nextQ[l] = valueOrZero(queries, queryAt[l], copyColumn, width);
        }
        for (int l = 0; l < ROW_KEY_LOADS; l++) {
            int slot = tileSlot[copyRow + l * ROW_COPY_ROWS];
            keyAt[l] = slot >= 0 ? slot * stateWidth : -1;
            nextK[l] = valueOrZero(states, keyAt[l], copyColumn, width);
        }
        float[] acc = new float[ROW_MICRO * ROW_MICRO];
        for (int c0 = 0; c0 < width; c0 += ROW_CHUNK) {
            for (int l = 0; l < ROW_LANE_LOADS; l++) {
                tileQ[copyColumn * (ROW_LANES + 1) + copyRow + l * ROW_COPY_ROWS] = nextQ[l];
            }
            for (int l = 0; l < ROW_KEY_LOADS; l++) {
                tileK[copyColumn * (ROW_KEYS + 1) + copyRow + l * ROW_COPY_ROWS] = nextK[l];
            }
            ctx.localBarrier();
            for (int l = 0; l < ROW_LANE_LOADS; l++) {
                nextQ[l] = valueOrZero(queries, queryAt[l], c0 + ROW_CHUNK + copyColumn, width);
            }
            for (int l = 0; l < ROW_KEY_LOADS; l++) {
                nextK[l] = valueOrZero(states, keyAt[l], c0 + ROW_CHUNK + copyColumn, width);
            }
            for (int cc = 0; cc < ROW_SPLIT_COLUMNS; cc++) {
                int c = split * ROW_SPLIT_COLUMNS + cc;
                for (int j = 0; j < ROW_MICRO; j++) {
                    float a = tileQ[c * (ROW_LANES + 1) + ty + j * ROW_LANE_ITEMS];
                    for (int i = 0; i < ROW_MICRO; i++) {
                        acc[j * ROW_MICRO + i] += a * tileK[c * (ROW_KEYS + 1) + tx + i * ROW_KEY_ITEMS];
                    }
                }
            }
            ctx.localBarrier();
        }
        for (int j = 0; j < ROW_MICRO; j++) {
            for (int i = 0; i < ROW_MICRO; i++) {
                tileK[(split * ROW_LANES + ty + j * ROW_LANE_ITEMS) * ROW_KEYS + tx + i * ROW_KEY_ITEMS] =
                        acc[j * ROW_MICRO + i];
            }
        }
        ctx.localBarrier();
        for (int o = id; o < ROW_LANES * ROW_KEYS; o += ROW_GROUP) {
            int h = h0 + o / ROW_KEYS;
            int kk = o % ROW_KEYS;
            if (h < heads && k0 + kk < keyCount) {
                float dot = 0f;
                for (int s = 0; s < ROW_SPLITS; s++) {
                    dot += tileK[s * ROW_LANES * ROW_KEYS + o];
                }
                scores.set((r * heads + h) * keyStride + k0 + kk,
                        tileSlot[kk] >= 0 ? dot * scale : Float.NEGATIVE_INFINITY);
            }
        }
    }

    /**
     * {@link #context} for EL with a key table per row, as {@link #scoresRows}: a work-group computes
     * {@value #ROW_LANES} heads of one row x {@value #ROW_COLUMNS} columns, staging
     * {@value #ROW_KEY_CHUNK} of the row's states per step once for all its heads, 4 x 4 outputs per
     * item (heads {@code ty + 4j}, columns {@code tx + 64i}). Launch
     * {@link #rowGrid}{@code (rows, heads, width, ROW_COLUMNS)} with local size {@code (ROW_GROUP, 1)}.
     *
     * <pre>
     *   per ROW_KEY_CHUNK keys:  scores[r, h0.., j..]    ──► tileP ─┐
     *                            states[slot(j..), c0..] ──► tileV ─┴─► acc[4 heads][4 columns] ─► out
     * </pre>
     */
    public static void contextRows(KernelContext ctx, FloatArray scores, FloatArray states, IntArray keyTable,
            IntArray rowMap, FloatArray out, int rows, int heads, int width, int stateWidth, int keyStride,
            int keyCount) {
        float[] tileP = ctx.allocateFloatLocalArray(ROW_KEY_CHUNK * (ROW_LANES + 1));
        float[] tileV = ctx.allocateFloatLocalArray(ROW_KEY_CHUNK * ROW_COLUMNS);
        int laneBlocks = (heads + ROW_LANES - 1) / ROW_LANES;
        int r = ctx.groupIdy / laneBlocks;
        int h0 = (ctx.groupIdy - r * laneBlocks) * ROW_LANES;
        int c0 = ctx.groupIdx * ROW_COLUMNS;
        if (r >= rows || c0 >= width) {
            return;
        }
        int id = ctx.localIdx;
        int tx = id % ROW_COLUMN_ITEMS;
        int ty = id / ROW_COLUMN_ITEMS;
        int table = rowMap.get(r) * keyStride;
        // Copies: the probability of head h0 + copyLane at key copyKey of a step; the states of column c0 + id.
        int copyKey = id % ROW_KEY_CHUNK;
        int copyLane = id / ROW_KEY_CHUNK;
        int probabilityAt = h0 + copyLane < heads ? (r * heads + h0 + copyLane) * keyStride : -1;
        boolean inside = c0 + id < width;
        float nextP = valueOrZero(scores, probabilityAt, copyKey, keyCount);
        float[] nextV = new float[ROW_KEY_CHUNK];
        for (int l = 0; l < ROW_KEY_CHUNK; l++) {
            nextV[l] = keyState(states, keyTable, table, l, keyCount, stateWidth, c0 + id, inside);
        }
        float[] acc = new float[ROW_MICRO * ROW_MICRO];
        for (int j0 = 0; j0 < keyCount; j0 += ROW_KEY_CHUNK) {
            tileP[copyKey * (ROW_LANES + 1) + copyLane] = nextP;
            for (int l = 0; l < ROW_KEY_CHUNK; l++) {
                tileV[l * ROW_COLUMNS + id] = nextV[l];
            }
            ctx.localBarrier();
            nextP = valueOrZero(scores, probabilityAt, j0 + ROW_KEY_CHUNK + copyKey, keyCount);
            for (int l = 0; l < ROW_KEY_CHUNK; l++) {
                nextV[l] = keyState(states, keyTable, table, j0 + ROW_KEY_CHUNK + l, keyCount, stateWidth, c0 + id,
                        inside);
            }
            for (int kk = 0; kk < ROW_KEY_CHUNK; kk++) {
                for (int j = 0; j < ROW_MICRO; j++) {
                    float a = tileP[kk * (ROW_LANES + 1) + ty + j * ROW_LANE_ITEMS];
                    for (int i = 0; i < ROW_MICRO; i++) {
                        acc[j * ROW_MICRO + i] += a * tileV[kk * ROW_COLUMNS + tx + i * ROW_COLUMN_ITEMS];
                    }
                }
            }
            ctx.localBarrier();
        }
        for (int j = 0; j < ROW_MICRO; j++) {
            int h = h0 + ty + j * ROW_LANE_ITEMS;
            if (h < heads) {
                for (int i = 0; i < ROW_MICRO; i++) {
                    int c = c0 + tx + i * ROW_COLUMN_ITEMS;
                    if (c < width) {
                        out.set((r * heads + h) * width + c, acc[j * ROW_MICRO + i]);
                    }
                }
            }
        }
    }

    /** The (row, head) index {@code r * heads + h} of a lane: lane r*heads+h (EL), or lane r of head {@code head} (MHA). */
    private static int query(int lane, int lanesPerRow, int heads, int head) {
        return lanesPerRow == 1 ? lane * heads + head : lane;
    }

    /** {@code sum_c a[aAt + c] * b[bAt + c]} over {@code width} columns. */
    private static float dotProduct(FloatArray a, int aAt, FloatArray b, int bAt, int width) {
        float sum = 0f;
        for (int c = 0; c < width; c++) {
            sum += a.get(aAt + c) * b.get(bAt + c);
        }
        return sum;
    }

    /** {@code x[at + c]}, or 0 where there is no such value ({@code at} negative or {@code c >= bound}): the padding of edge tiles. */
    private static float valueOrZero(FloatArray x, int at, int c, int bound) {
        return at >= 0 && c < bound ? x.get(at + c) : 0f;
    }

    /** Column {@code column} of key {@code key}'s state in the key table at {@code table}; 0 without a state (masked, past the keys or the columns). */
    private static float keyState(FloatArray states, IntArray keyTable, int table, int key, int keyCount, int stateWidth,
            int column, boolean inside) {
        int slot = key < keyCount ? keyTable.get(table + key) : -1;
        return slot >= 0 && inside ? states.get(slot * stateWidth + column) : 0f;
    }

    /**
     * The global size of {@link #scoresBlocked} over {@code n = keyCount} keys, or of
     * {@link #contextBlocked} over {@code n = width} columns; local size {@code (BLOCK_GROUP, 1, 1)}.
     * Host-side helper, not a kernel.
     */
    public static long[] blockedGrid(int rows, int heads, int headStride, int n) {
        int lanes = rows * (headStride == 0 ? heads : 1);
        return new long[] {blocks(n, BLOCK_KEYS) * BLOCK_GROUP, blocks(lanes, BLOCK_LANES), headStride == 0 ? 1 : heads};
    }

    /**
     * The global size of {@link #scoresRows} ({@code n = keyCount}, {@code block = ROW_KEYS}) or of
     * {@link #contextRows} ({@code n = width}, {@code block = ROW_COLUMNS}); local size
     * {@code (ROW_GROUP, 1)}. Host-side helper, not a kernel.
     */
    public static long[] rowGrid(int rows, int heads, int n, int block) {
        return new long[] {blocks(n, block) * ROW_GROUP, Math.max(1, rows) * blocks(heads, ROW_LANES)};
    }

    /** {@code ceil(n / block)}, at least 1 (a grid may not be empty; groups past the work return at once). */
    private static long blocks(int n, int block) {
        return Math.max(1, (n + block - 1) / block);
    }
}
