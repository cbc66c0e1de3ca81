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
 * <p><b>Two forms.</b> {@link #scores} and {@link #context} are the loop forms (one work item per
 * row and head, resp. output element), right for the JVM and any device with few cores. On a GPU
 * they leave the keys sequential and re-read every state once per query. The work-group forms
 * {@link #scoresTiled}, {@link #softmaxGroup} and {@link #contextTiled} see attention as the small
 * GEMMs it is: the queries that read the same states are <i>lanes</i> of one matrix,
 * <ul>
 *   <li>EL ({@code headStride == 0}): lane {@code r * heads + h}, so the {@code heads} queries of a
 *       row, and for cross-attention every beam of a sentence (consecutive rows with the same
 *       {@code rowMap}), are {@code beams * heads} lanes over one sentence's H;</li>
 *   <li>MHA ({@code headStride > 0}): lane {@code r} of head {@code z} (the grid's third
 *       dimension), e.g. in the encoder all positions of a sentence over its keys.</li>
 * </ul>
 * A work-group computes a {@value #TILE} x {@value #TILE} block (lanes x keys, resp. lanes x
 * columns) as 16 x 16 items of 4 x 4 outputs each (register blocking), staging the states it reads
 * in local memory once for all its lanes. The states of a block are those of the key table of its
 * FIRST lane's row; a lane whose row has another table reads the keys whose slot differs directly
 * from global memory (correct for any table; fast when tables agree, as they do for a sentence's
 * rows in cross-attention and the encoder, and mostly do for the beams' shared ancestry).
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
                                dot = 0f;
                                for (int c = 0; c < width; c++) {
                                    dot += queries.get(qi * width + c) * states.get(slot * stateWidth + column0 + c);
                                }
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
     * and a row without keys becomes all zeros. Launch a 1-D grid of global size
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

    /** The (row, head) index {@code r * heads + h} of a lane: lane r*heads+h (EL), or lane r of head {@code head} (MHA). */
    private static int query(int lane, int lanesPerRow, int heads, int head) {
        return lanesPerRow == 1 ? lane * heads + head : lane;
    }
}
