package elattn.tasks.attention;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.Parallel;

/**
 * Decoder history under beam search without moving any cached state: an ancestry table.
 *
 * <p>The cache of step {@code t} holds one slot per row of that step, at slots
 * {@code [stepOffsets[t], stepOffsets[t] + rows(t))}; a slot is written once
 * ({@link #append}) and never moved. When beams are reordered, only the parents of the step are
 * recorded ({@link #recordParents}, {@code rows} ints); {@link #ancestry} then walks every row's
 * parent chain back to step 0 and writes, per row and step, the slot its history lives in (or -1
 * for a padded prompt position). That table is the key table of {@link Attention} for decoder
 * self-attention, shared by all layers and heads. Per step this moves {@code rows * (t + 1)} ints,
 * where gathering the caches by parent (what HF does) moves {@code 2 * layers * rows * t * d} floats.
 */
public final class History {
    private History() {
    }

    /** {@code parentTable[step * maxRows + r] = parents[r]}: row r of this step continues row parents[r] of the previous one. */
    public static void recordParents(IntArray parents, IntArray parentTable, int rows, int step, int maxRows) {
        for (@Parallel int r = 0; r < rows; r++) {
            parentTable.set(step * maxRows + r, parents.get(r));
        }
    }

    /**
     * For every row, the cache slot of each step of its history:
     * {@code table[r * tableStride + j] = stepOffsets[j] + ancestor(r, j)} for {@code j <= step}, or -1
     * where {@code keyMask[rowSentence[r] * maxSteps + j]} is 0 (a padded prompt position).
     */
    public static void ancestry(IntArray parentTable, IntArray stepOffsets, IntArray keyMask, IntArray rowSentence,
            IntArray table, int rows, int step, int maxRows, int maxSteps, int tableStride) {
        for (@Parallel int r = 0; r < rows; r++) {
            int sentence = rowSentence.get(r);
            int a = r;
            for (int j = step; j >= 0; j--) {
                table.set(r * tableStride + j, keyMask.get(sentence * maxSteps + j) != 0 ? stepOffsets.get(j) + a : -1);
                if (j > 0) {
                    a = parentTable.get(j * maxRows + a);
                }
            }
        }
    }

    /** Writes this step's row states into their cache slots: {@code cache[stepOffsets[step] + r, :] = src[r, :]}. */
    public static void append(FloatArray src, FloatArray cache, IntArray stepOffsets, int rows, int width, int step) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int c = 0; c < width; c++) {
                cache.set((stepOffsets.get(step) + r) * width + c, src.get(r * width + c));
            }
        }
    }

    /** {@link #append} into fp16 storage (rounded to nearest): EL's H and history for the tensor-core kernels. */
    public static void appendHalf(FloatArray src, HalfFloatArray cache, IntArray stepOffsets, int rows, int width,
            int step) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int c = 0; c < width; c++) {
                cache.set((stepOffsets.get(step) + r) * width + c, src.get(r * width + c));
            }
        }
    }

    /**
     * Writes many steps' row states at once, each row into its own slot:
     * {@code cache[slots[i], :] = src[i, :]} (a decoder-only prompt read in one pass).
     */
    public static void appendRows(FloatArray src, FloatArray cache, IntArray slots, int rows, int width) {
        for (@Parallel int i = 0; i < rows; i++) {
            for (@Parallel int c = 0; c < width; c++) {
                cache.set(slots.get(i) * width + c, src.get(i * width + c));
            }
        }
    }

    /** {@link #appendRows} into fp16 storage (rounded to nearest): EL's history for the tensor-core kernels. */
    public static void appendRowsHalf(FloatArray src, HalfFloatArray cache, IntArray slots, int rows, int width) {
        for (@Parallel int i = 0; i < rows; i++) {
            for (@Parallel int c = 0; c < width; c++) {
                cache.set(slots.get(i) * width + c, src.get(i * width + c));
            }
        }
    }

    /**
     * Records steps {@code 0 .. steps-1} as steps of {@code rows} rows that each continue the same
     * row of the step before ({@code parentTable[t * maxRows + r] = r}): the prompt steps read in one pass.
     */
    public static void identityParents(IntArray parentTable, int rows, int steps, int maxRows) {
        for (@Parallel int t = 0; t < steps; t++) {
            for (@Parallel int r = 0; r < rows; r++) {
                parentTable.set(t * maxRows + r, r);
            }
        }
    }

    /**
     * Copies each of {@code groups} blocks of {@code blockRows x width} floats {@code copies} times,
     * block-major: {@code dst[(g * copies + k) * blockRows + i, :] = src[g * blockRows + i, :]}. This
     * is HF's expansion of the encoder output to one copy per beam, kept for the MHA baseline.
     */
    public static void expand(FloatArray src, FloatArray dst, int groups, int copies, int blockRows, int width) {
        for (@Parallel int gk = 0; gk < groups * copies; gk++) {
            for (@Parallel int i = 0; i < blockRows * width; i++) {
                dst.set(gk * blockRows * width + i, src.get((gk / copies) * blockRows * width + i));
            }
        }
    }

    /** Per-row lookup in a (sentence x maxSteps) table: {@code out[r] = table[rowSentence[r] * maxSteps + step]} (positions). */
    public static void rowLookup(IntArray table, IntArray rowSentence, IntArray out, int rows, int step, int maxSteps) {
        for (@Parallel int r = 0; r < rows; r++) {
            out.set(r, table.get(rowSentence.get(r) * maxSteps + step));
        }
    }
}
