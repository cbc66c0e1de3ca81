package elattn.tasks;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.KernelMath;
import elattn.kernel.Parallel;
import elattn.kernel.Unroll;

/**
 * The step output: per row of a (rows, vocab) row-major logits matrix, the log-softmax, the step's
 * constraints, and the top-k candidates, so that only k (token, score) pairs per row cross the bus.
 *
 * <p>For row {@code r}:
 * <ol>
 *   <li>{@code s[j] = logits[r, j] - (max + log(sum_j exp(logits[r, j] - max)))} (log_softmax of
 *       the raw logits, as {@code torch.log_softmax}; constraints do not renormalise, as in HF);
 *   <li>banned pairs: for each {@code p < bannedCount} with {@code bannedRows[p] == r},
 *       {@code s[bannedTokens[p]] = -inf};
 *   <li>forced token: if {@code forced[r] >= 0}, {@code s[forced[r]] = 0} and every other
 *       {@code s[j] = -inf} (applied after the bans, so it wins over them, as HF's forced BOS/EOS
 *       processors come last);
 *   <li>{@code topTokens[r * k + i]}, {@code topScores[r * k + i]} for {@code i < k}: the k best
 *       {@code (s[j], j)}, best first; equal scores in increasing token order.
 * </ol>
 *
 * <p>Defined output in degenerate rows: {@code -inf} scores are ordinary values of that order, so
 * a row whose scores are all {@code -inf} (every token banned, or all logits {@code -inf}) yields
 * tokens {@code 0, 1, 2, ...} with score {@code -inf}; a row with fewer than k finite scores is
 * completed the same way with the lowest remaining token ids. Slots beyond the vocabulary and
 * beyond {@link #MAX_K} get token {@code -1} and score {@code -inf}. A row with a NaN (or
 * {@code +inf}) logit has no log-softmax: every slot of it is token {@code -1}, score {@code -inf},
 * on every backend.
 *
 * <p>{@code writeLogProbs != 0} also writes {@code s} (after the constraints) over the row of
 * {@code logits}, for tests and debugging; with 0 the logits are left unchanged.
 *
 * <p>Arguments: {@code forced}: at least {@code rows} ids, {@code -1} = none; {@code bannedRows},
 * {@code bannedTokens}: at least {@code bannedCount} pairs, sorted by row (tokens of a row in any
 * order: each row finds its own bans by binary search, so a step that bans a token in every row,
 * as a minimum length does, costs each row only its own bans); {@code topTokens},
 * {@code topScores}: at least {@code rows * k}. {@code k <= MAX_K}.
 *
 * <p>{@link #logSoftmaxTopK} is the loop form (one row per parallel iteration: the JVM form);
 * {@link #logSoftmaxTopKGroup} the GPU form, one work-group of {@value #GROUP} items per row: the
 * max and the sum are tree reductions in local memory; each item keeps the top k of its strided
 * share of the row in private memory (bans are looked up only for values that would enter that
 * list), and k rounds of a local arg-max reduction merge the items' lists.
 */
public final class Logits {
    /**
     * The largest k; larger k fills the extra slots with token -1. Beam search asks
     * {@code max(2, 1 + EOS ids) * num_beams} candidates per row, so 64 allows 32 beams (21 with two
     * EOS ids). The per-item lists are private arrays of this length, of which only the first k
     * entries are filled and searched; a small k pays only for zeroing the arrays (the kernel
     * language zero-initialises private arrays), a few hundred stores per row against the row's
     * vocabulary-sized reads.
     */
    public static final int MAX_K = 64;
    /** Work-group size of {@link #logSoftmaxTopKGroup}: one group per row. */
    public static final int GROUP = 256;
    /** Values one item of {@link #logSoftmaxTopKGroup} loads at once before selecting among them. */
    private static final int CHUNK = 8;
    /** Token id of an empty candidate slot while selecting (worse than any real token at equal score). */
    private static final int NONE = Integer.MAX_VALUE;

    private Logits() {
    }

    /** Log-softmax, constraints and top-k of each row; one parallel iteration per row. Loop form: any launch size. */
    public static void logSoftmaxTopK(FloatArray logits, int rows, int vocab, IntArray forced, IntArray bannedRows,
            IntArray bannedTokens, int bannedCount, int k, int writeLogProbs, IntArray topTokens,
            FloatArray topScores) {
        for (@Parallel int row = 0; row < rows; row++) {
            int base = row * vocab;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) {
                max = maxOrNaN(max, logits.get(base + j));
            }
            float sum = 0f;
            for (int j = 0; j < vocab; j++) {
                sum += KernelMath.exp(logits.get(base + j) - max);
            }
            float logZ = logNormalizer(max, sum);
            int force = forced.get(row);
            int bansFrom = firstBan(bannedRows, bannedCount, row);
            int bansTo = firstBan(bannedRows, bannedCount, row + 1);
            int kk = Math.min(Math.min(k, MAX_K), vocab);
            float[] bestScore = new float[MAX_K];
            int[] bestToken = new int[MAX_K];
            for (int i = 0; i < kk; i++) {
                bestScore[i] = Float.NEGATIVE_INFINITY;
                bestToken[i] = NONE;
            }
            for (int j = 0; j < vocab; j++) {
                float s = score(logits.get(base + j), logZ, j, force);
                if (writeLogProbs != 0) {
                    logits.set(base + j, constrained(s, j, force, bannedTokens, bansFrom, bansTo));
                }
                if (kk > 0 && better(s, j, bestScore[kk - 1], bestToken[kk - 1])) {
                    s = constrained(s, j, force, bannedTokens, bansFrom, bansTo);
                    if (better(s, j, bestScore[kk - 1], bestToken[kk - 1])) {
                        int p = kk - 1;
                        while (p > 0 && better(s, j, bestScore[p - 1], bestToken[p - 1])) {
                            bestScore[p] = bestScore[p - 1];
                            bestToken[p] = bestToken[p - 1];
                            p--;
                        }
                        bestScore[p] = s;
                        bestToken[p] = j;
                    }
                }
            }
            for (int i = 0; i < k; i++) {
                boolean filled = i < kk && bestToken[i] != NONE;
                topTokens.set(row * k + i, filled ? bestToken[i] : -1);
                topScores.set(row * k + i, filled ? bestScore[i] : Float.NEGATIVE_INFINITY);
            }
        }
    }

    /**
     * {@link #logSoftmaxTopK}, work-group form. Launch with global size {@code rows * GROUP} and
     * local size {@code GROUP} (1-D); group {@code g} handles row {@code g} (groups at or past
     * {@code rows} do nothing).
     */
    public static void logSoftmaxTopKGroup(KernelContext ctx, FloatArray logits, int rows, int vocab, IntArray forced,
            IntArray bannedRows, IntArray bannedTokens, int bannedCount, int k, int writeLogProbs,
            IntArray topTokens, FloatArray topScores) {
        float[] redScore = ctx.allocateFloatLocalArray(GROUP);
        int[] redToken = ctx.allocateIntLocalArray(GROUP);
        int l = ctx.localIdx;
        int row = ctx.groupIdx;
        if (row >= rows) {
            return;
        }
        int base = row * vocab;

        // Each pass reads the item's values CHUNK at a time, all loaded before any is used (more of the
        // row in flight: a row's group is its only reader), in the order of j, so every sum is as one
        // value at a time would make it.
        float[] chunk = new float[CHUNK];
        float max = Float.NEGATIVE_INFINITY;
        for (int j0 = l; j0 < vocab; j0 += GROUP * CHUNK) {
            for (@Unroll int c = 0; c < CHUNK; c++) {
                chunk[c] = valueOrZero(logits, base, j0 + c * GROUP, vocab);
            }
            for (@Unroll int c = 0; c < CHUNK; c++) {
                if (j0 + c * GROUP < vocab) {
                    max = maxOrNaN(max, chunk[c]);
                }
            }
        }
        redScore[l] = max;
        for (int s = GROUP / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                redScore[l] = maxOrNaN(redScore[l], redScore[l + s]);
            }
        }
        ctx.localBarrier();
        max = redScore[0];
        ctx.localBarrier();

        float sum = 0f;
        for (int j0 = l; j0 < vocab; j0 += GROUP * CHUNK) {
            for (@Unroll int c = 0; c < CHUNK; c++) {
                chunk[c] = valueOrZero(logits, base, j0 + c * GROUP, vocab);
            }
            for (@Unroll int c = 0; c < CHUNK; c++) {
                if (j0 + c * GROUP < vocab) {
                    sum += KernelMath.exp(chunk[c] - max);
                }
            }
        }
        redScore[l] = sum;
        for (int s = GROUP / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                redScore[l] += redScore[l + s];
            }
        }
        ctx.localBarrier();
        float logZ = logNormalizer(max, redScore[0]);
        ctx.localBarrier();

        int force = forced.get(row);
        int bansFrom = firstBan(bannedRows, bannedCount, row);
        int bansTo = firstBan(bannedRows, bannedCount, row + 1);
        int kk = Math.min(Math.min(k, MAX_K), vocab);
        float[] bestScore = new float[MAX_K];
        int[] bestToken = new int[MAX_K];
        for (int i = 0; i < kk; i++) {
            bestScore[i] = Float.NEGATIVE_INFINITY;
            bestToken[i] = NONE;
        }
        // The selection depends on the list, so one load at a time would wait out a memory latency
        // per value. The list's last entry, kept in registers: what a value must beat to enter.
        float worstScore = Float.NEGATIVE_INFINITY;
        int worstToken = NONE;
        for (int j0 = l; j0 < vocab; j0 += GROUP * CHUNK) {
            for (@Unroll int c = 0; c < CHUNK; c++) {
                chunk[c] = valueOrZero(logits, base, j0 + c * GROUP, vocab);
            }
            for (@Unroll int c = 0; c < CHUNK; c++) {
                int j = j0 + c * GROUP;
                if (j < vocab) {
                    float s = score(chunk[c], logZ, j, force);
                    if (writeLogProbs != 0) {
                        logits.set(base + j, constrained(s, j, force, bannedTokens, bansFrom, bansTo));
                    }
                    if (kk > 0 && better(s, j, worstScore, worstToken)) {
                        s = constrained(s, j, force, bannedTokens, bansFrom, bansTo);
                        if (better(s, j, worstScore, worstToken)) {
                            int p = kk - 1;
                            while (p > 0 && better(s, j, bestScore[p - 1], bestToken[p - 1])) {
                                bestScore[p] = bestScore[p - 1];
                                bestToken[p] = bestToken[p - 1];
                                p--;
                            }
                            bestScore[p] = s;
                            bestToken[p] = j;
                            worstScore = bestScore[kk - 1];
                            worstToken = bestToken[kk - 1];
                        }
                    }
                }
            }
        }

        // k rounds: the best head of all items' lists wins the slot; its owner moves to its next entry.
        int head = 0;
        for (int i = 0; i < kk; i++) {
            redScore[l] = head < kk ? bestScore[head] : Float.NEGATIVE_INFINITY;
            redToken[l] = head < kk ? bestToken[head] : NONE;
            for (int s = GROUP / 2; s > 0; s /= 2) {
                ctx.localBarrier();
                if (l < s && better(redScore[l + s], redToken[l + s], redScore[l], redToken[l])) {
                    redScore[l] = redScore[l + s];
                    redToken[l] = redToken[l + s];
                }
            }
            ctx.localBarrier();
            float winScore = redScore[0];
            int winToken = redToken[0];
            if (l == 0) {
                topTokens.set(row * k + i, winToken == NONE ? -1 : winToken);
                topScores.set(row * k + i, winToken == NONE ? Float.NEGATIVE_INFINITY : winScore);
            }
            if (head < kk && winToken != NONE && bestToken[head] == winToken) {
                head++;
            }
            ctx.localBarrier();
        }
        for (int i = kk + l; i < k; i += GROUP) {
            topTokens.set(row * k + i, -1);
            topScores.set(row * k + i, Float.NEGATIVE_INFINITY);
        }
    }

    /** {@code logits[base + j]}, or 0 past the row's {@code vocab} values (never used: the passes skip them). */
    private static float valueOrZero(FloatArray logits, int base, int j, int vocab) {
        return j < vocab ? logits.get(base + j) : 0f;
    }

    /**
     * The larger of a and b, or NaN when either is NaN, on every backend (C's {@code fmax} returns
     * the other operand): so a row with a NaN logit gets a NaN normaliser and NaN scores, which are
     * never selected, and comes out as empty slots (token -1) everywhere, never as a plausible token.
     */
    private static float maxOrNaN(float a, float b) {
        return a != a || b != b ? a + b : KernelMath.max(a, b);
    }

    /** {@code max + log(sum)}; {@code -inf} for a row of {@code -inf} logits (whose sum is NaN). */
    private static float logNormalizer(float max, float sum) {
        if (max == Float.NEGATIVE_INFINITY) {
            return Float.NEGATIVE_INFINITY;
        }
        return max + KernelMath.log(sum);
    }

    /** The log-prob of token j with the forced-token constraint applied (bans are looked up separately). */
    private static float score(float logit, float logZ, int j, int force) {
        if (force >= 0) {
            return j == force ? 0f : Float.NEGATIVE_INFINITY;
        }
        if (logZ == Float.NEGATIVE_INFINITY) {
            return Float.NEGATIVE_INFINITY;
        }
        return logit - logZ;
    }

    /** {@code s}, or {@code -inf} when token j is among the row's bans {@code [from, to)} and no token is forced. */
    private static float constrained(float s, int j, int force, IntArray bannedTokens, int from, int to) {
        if (force >= 0) {
            return s;
        }
        for (int p = from; p < to; p++) {
            if (bannedTokens.get(p) == j) {
                return Float.NEGATIVE_INFINITY;
            }
        }
        return s;
    }

    /** The first of the {@code count} bans (sorted by row) whose row is at least {@code row}; {@code count} if none. */
    private static int firstBan(IntArray bannedRows, int count, int row) {
        int lo = 0;
        int hi = count;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (bannedRows.get(mid) < row) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The candidate order: higher score first, then lower token id. */
    private static boolean better(float s, int t, float otherScore, int otherToken) {
        return s > otherScore || (s == otherScore && t < otherToken);
    }
}
