package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.Parallel;

/**
 * Input embeddings of a batch of token rows: a token-table row, scaled, plus a position-table row.
 *
 * <p>Positions are given per row rather than derived from the row index, so one kernel serves every
 * family: the caller adds BART's learned-position offset (2), gives GPT-2's left-padded rows their
 * {@code cumsum(mask) - 1} positions, and passes Marian's precomputed sinusoid table as
 * {@code positionTable}.
 */
public final class Embeddings {
    private Embeddings() {
    }

    /**
     * {@code out[r, :] = tokenTable[tokens[r], :] * scale + positionTable[positions[r], :]} for
     * {@code r < rows}.
     *
     * <p>Shapes (row-major): {@code tokens}, {@code positions}: at least {@code rows} ids;
     * {@code tokenTable}: (vocab, d); {@code positionTable}: (maxPositions, d); {@code out}: at least
     * (rows, d). Arrays may be larger than the live rows; only the first {@code rows} are touched.
     * Ids are not range-checked on devices. Loop form: any launch size (sized from the loops).
     */
    public static void lookup(IntArray tokens, IntArray positions, FloatArray tokenTable, FloatArray positionTable,
            FloatArray out, int rows, int d, float scale) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int j = 0; j < d; j++) {
                out.set(r * d + j, tokenTable.get(tokens.get(r) * d + j) * scale
                        + positionTable.get(positions.get(r) * d + j));
            }
        }
    }

    /**
     * {@link #lookup} with fp16 tables (token and position tables stored as {@link HalfFloatArray}),
     * widened to fp32 before the scale and the sum. Loop form: any launch size.
     */
    public static void lookupHalf(IntArray tokens, IntArray positions, HalfFloatArray tokenTable,
            HalfFloatArray positionTable, FloatArray out, int rows, int d, float scale) {
        for (@Parallel int r = 0; r < rows; r++) {
            for (@Parallel int j = 0; j < d; j++) {
                out.set(r * d + j, tokenTable.get(tokens.get(r) * d + j) * scale
                        + positionTable.get(positions.get(r) * d + j));
            }
        }
    }
}
