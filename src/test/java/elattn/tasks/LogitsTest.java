package elattn.tasks;

import static elattn.testing.HostArrays.copy;
import static elattn.testing.HostArrays.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid1D;
import elattn.testing.TestDevices.TestDevice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both forms of the step output kernel on every test device against a double-precision
 * log-softmax, constraints and sort computed here. Rows: 0 plain; 1 forced token (also banned: the
 * force wins); 2 its best tokens banned; 3 ties at the top; 4 every token banned; 5 all logits
 * -inf.
 */
class LogitsTest {
    private static final int ROWS = 6;
    /** Not a multiple of the work-group size, and more than two rounds of the group form's chunked loads (2,048 values each). */
    private static final int VOCAB = 4099;
    private static final int K = 7;
    private static final float NEG_INF = Float.NEGATIVE_INFINITY;

    /** The step's inputs and outputs as device arrays. */
    private record Step(FloatArray logits, IntArray forced, IntArray bannedRows, IntArray bannedTokens, int bannedCount,
            int rows, int vocab, int k, IntArray topTokens, FloatArray topScores) {
    }

    private static Step step(int k, int rows) {
        FloatArray logits = randomFloats(ROWS * VOCAB, 21);
        for (int i = 0; i < logits.getSize(); i++) {
            logits.set(i, logits.get(i) * 10);
        }
        for (int j = 0; j < VOCAB; j++) {
            logits.set(5 * VOCAB + j, NEG_INF);
        }
        for (int t : new int[] {700, 10, 500}) {
            logits.set(3 * VOCAB + t, 15f); // above every random logit: a three-way tie at the top
        }
        List<int[]> bans = new ArrayList<>();
        bans.add(new int[] {1, 17});
        IntStream.range(0, VOCAB).boxed().sorted(Comparator.comparingDouble(j -> -logits.get(2 * VOCAB + j)))
                .limit(5).forEach(j -> bans.add(new int[] {2, j}));
        bans.remove(3); // keeps row 2's third best: banned 1st, 2nd, 4th, 5th
        bans.add(new int[] {3, 500});
        bans.add(new int[] {0, VOCAB - 1});
        for (int j = VOCAB - 1; j >= 0; j--) {
            bans.add(new int[] {4, j});
        }
        // Sorted by row (the kernels' contract), tokens of a row in scrambled order.
        bans.sort(Comparator.<int[]>comparingInt(b -> b[0]).thenComparingInt(b -> (b[1] * 7919) % 1009));
        IntArray bannedRows = new IntArray(bans.size() + 3);
        IntArray bannedTokens = new IntArray(bans.size() + 3);
        for (int p = 0; p < bans.size(); p++) {
            bannedRows.set(p, bans.get(p)[0]);
            bannedTokens.set(p, bans.get(p)[1]);
        }
        IntArray forced = IntArray.fromArray(-1, 17, -1, -1, -1, -1, 3);
        return new Step(logits, forced, bannedRows, bannedTokens, bans.size(), rows, VOCAB, k,
                new IntArray(ROWS * k), new FloatArray(ROWS * k));
    }

    /** The constrained log-probs of every row, in double. */
    private static double[][] logProbs(Step s) {
        double[][] out = new double[s.rows][s.vocab];
        for (int r = 0; r < s.rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < s.vocab; j++) {
                max = Math.max(max, s.logits.get(r * s.vocab + j));
            }
            double sum = 0;
            for (int j = 0; j < s.vocab; j++) {
                sum += Math.exp(s.logits.get(r * s.vocab + j) - max);
            }
            double logZ = max == Double.NEGATIVE_INFINITY ? max : max + Math.log(sum);
            for (int j = 0; j < s.vocab; j++) {
                out[r][j] = logZ == Double.NEGATIVE_INFINITY ? logZ : s.logits.get(r * s.vocab + j) - logZ;
            }
            for (int p = 0; p < s.bannedCount; p++) {
                if (s.bannedRows.get(p) == r) {
                    out[r][s.bannedTokens.get(p)] = Double.NEGATIVE_INFINITY;
                }
            }
            int f = s.forced.get(r);
            if (f >= 0) {
                java.util.Arrays.fill(out[r], Double.NEGATIVE_INFINITY);
                out[r][f] = 0;
            }
        }
        return out;
    }

    private static void run(TestDevice device, Step s, boolean group, int writeLogProbs) {
        TaskGraph graph = new TaskGraph("o").transferToDevice(DataTransferMode.FIRST_EXECUTION, s.logits);
        if (group) {
            graph.task("topk", Logits::logSoftmaxTopKGroup, new KernelContext(), s.logits, s.rows, s.vocab, s.forced,
                    s.bannedRows, s.bannedTokens, s.bannedCount, s.k, writeLogProbs, s.topTokens, s.topScores);
        } else {
            graph.task("topk", Logits::logSoftmaxTopK, s.logits, s.rows, s.vocab, s.forced, s.bannedRows,
                    s.bannedTokens, s.bannedCount, s.k, writeLogProbs, s.topTokens, s.topScores);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, s.logits, s.topTokens, s.topScores);
        ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device.get());
        if (group) {
            WorkerGrid1D grid = new WorkerGrid1D((long) s.rows * Logits.GROUP);
            grid.setLocalWork(Logits.GROUP, 1, 1);
            plan.withGrid("o.topk", grid);
        }
        try (plan) {
            plan.execute();
        }
    }

    private static void assertScore(double expected, float actual, String what) {
        boolean ok = expected == Double.NEGATIVE_INFINITY ? actual == NEG_INF : Math.abs(expected - actual) <= 1e-5;
        if (!ok) {
            fail(what + " is " + actual + ", expected " + expected);
        }
    }

    /** Top-k by (score desc, token asc), then -1 / -inf past the vocabulary. */
    private static void assertTopK(Step s, double[][] expected, String what) {
        for (int r = 0; r < s.rows; r++) {
            double[] row = expected[r];
            int[] order = IntStream.range(0, s.vocab).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(j -> -row[j]).thenComparingInt(j -> j))
                    .mapToInt(Integer::intValue).toArray();
            for (int i = 0; i < s.k; i++) {
                String slot = what + " row " + r + " slot " + i;
                if (i < s.vocab) {
                    assertEquals(order[i], s.topTokens.get(r * s.k + i), slot + " token");
                    assertScore(row[order[i]], s.topScores.get(r * s.k + i), slot + " score");
                } else {
                    assertEquals(-1, s.topTokens.get(r * s.k + i), slot + " token");
                    assertScore(Double.NEGATIVE_INFINITY, s.topScores.get(r * s.k + i), slot + " score");
                }
            }
        }
    }

    private static void check(TestDevice device, boolean group, int writeLogProbs) {
        check(device, group, writeLogProbs, K, ROWS);
    }

    /** Runs the first {@code rows} rows of the step with {@code k} candidates and checks them. */
    private static void check(TestDevice device, boolean group, int writeLogProbs, int k, int rows) {
        Step s = step(k, rows);
        FloatArray original = copy(s.logits);
        double[][] expected = logProbs(s);
        run(device, s, group, writeLogProbs);
        String what = (group ? "logSoftmaxTopKGroup" : "logSoftmaxTopK") + " on " + device;
        assertTopK(s, expected, what);
        if (writeLogProbs == 0) {
            assertArrayEquals(original.toHeapArray(), s.logits.toHeapArray(), what + ": logits left unchanged");
        } else {
            for (int r = 0; r < s.rows; r++) {
                for (int j = 0; j < s.vocab; j++) {
                    assertScore(expected[r][j], s.logits.get(r * s.vocab + j), what + " log-prob [" + r + ", " + j + "]");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void loopForm(TestDevice device) {
        check(device, false, 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void loopFormWritesLogProbs(TestDevice device) {
        check(device, false, 1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void workGroupForm(TestDevice device) {
        check(device, true, 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void workGroupFormWritesLogProbs(TestDevice device) {
        check(device, true, 1);
    }

    /**
     * The largest k (beam search with 32 beams and one EOS id): every slot in order, in both forms.
     * The work-group form runs on the first two rows only (plain, and forced): on the JVM each of
     * its k merge rounds synchronises 256 virtual threads eight times, seconds per row at k = 64.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void largestK(TestDevice device) {
        check(device, false, 0, Logits.MAX_K, ROWS);
        check(device, true, 0, Logits.MAX_K, 2);
    }

    /**
     * A row with one NaN logit, one +inf, or only NaN (what NaN weights give) has no candidates
     * (token -1, score -inf) in both forms on every backend, whatever its max does with NaN (C's
     * fmax drops it); the finite row is unaffected.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void aRowWithANonFiniteLogitHasNoCandidates(TestDevice device) {
        for (boolean group : new boolean[] {false, true}) {
            int rows = 4;
            int vocab = 300;
            int k = 3;
            FloatArray logits = randomFloats(rows * vocab, 5);
            logits.set(vocab + 123, Float.NaN);
            logits.set(2 * vocab + 7, Float.POSITIVE_INFINITY);
            for (int j = 0; j < vocab; j++) {
                logits.set(3 * vocab + j, Float.NaN);
            }
            IntArray none = IntArray.fromArray(-1, -1, -1, -1);
            Step s = new Step(logits, none, new IntArray(1), new IntArray(1), 0, rows, vocab, k, new IntArray(rows * k),
                    new FloatArray(rows * k));
            run(device, s, group, 0);
            String what = (group ? "logSoftmaxTopKGroup" : "logSoftmaxTopK") + " on " + device;
            assertTrue(s.topTokens.get(0) >= 0 && s.topScores.get(0) <= 0, what + ": the finite row has candidates");
            for (int r = 1; r < rows; r++) {
                for (int i = 0; i < k; i++) {
                    assertEquals(-1, s.topTokens.get(r * k + i), what + " row " + r + " slot " + i);
                    assertEquals(NEG_INF, s.topScores.get(r * k + i), what + " row " + r + " slot " + i);
                }
            }
        }
    }

    /** k above the vocabulary and above MAX_K: the extra slots are -1 / -inf in both forms. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void slotsPastTheVocabularyAreEmpty(TestDevice device) {
        for (boolean group : new boolean[] {false, true}) {
            int vocab = 5;
            int k = Logits.MAX_K + 2;
            FloatArray logits = FloatArray.fromArray(1f, 3f, 3f, -2f, 0.5f, 9f, NEG_INF, 9f, 8f, 7f);
            Step s = new Step(logits, IntArray.fromArray(-1, -1), new IntArray(1), new IntArray(1), 0, 2, vocab, k,
                    new IntArray(2 * k), new FloatArray(2 * k));
            double[][] expected = logProbs(s);
            run(device, s, group, 0);
            assertTopK(s, expected, (group ? "logSoftmaxTopKGroup" : "logSoftmaxTopK") + " on " + device);
        }
    }
}
