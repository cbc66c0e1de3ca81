package elattn.tasks.attention;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
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
 */
public final class Attention {
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
}
