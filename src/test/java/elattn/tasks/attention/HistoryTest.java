package elattn.tasks.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.IntParam;
import elattn.runtime.TaskGraph;
import elattn.testing.HostArrays;
import elattn.testing.TestDevices.TestDevice;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ancestry table on every test device over a random beam schedule (rows reordered, sentences
 * leaving, padded prompt steps) against the history kept here the naive way, as explicit lists of
 * slots copied from parent to child.
 */
class HistoryTest {
    private static final int SENTENCES = 3;
    private static final int BEAMS = 3;
    private static final int PROMPT = 3; // steps with one row per sentence, then BEAMS rows per sentence
    private static final int STEPS = 9;
    private static final int MAX_ROWS = SENTENCES * BEAMS;

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void ancestryFollowsEveryReorder(TestDevice device) {
        SplittableRandom random = new SplittableRandom(5);
        int[] offsets = new int[STEPS];
        for (int t = 1; t < STEPS; t++) {
            offsets[t] = offsets[t - 1] + (t - 1 < PROMPT - 1 ? SENTENCES : MAX_ROWS);
        }
        int[] mask = new int[SENTENCES * STEPS];
        Arrays.fill(mask, 1);
        mask[STEPS] = 0; // sentence 1 is left-padded by two prompt positions
        mask[STEPS + 1] = 0;
        IntArray stepOffsets = IntArray.fromArray(offsets);
        IntArray keyMask = IntArray.fromArray(mask);
        IntArray parents = new IntArray(MAX_ROWS);
        IntArray rowSentence = new IntArray(MAX_ROWS);
        IntArray parentTable = new IntArray(MAX_ROWS * STEPS);
        IntArray table = new IntArray(MAX_ROWS * STEPS);
        IntParam rows = new IntParam(0);
        IntParam step = new IntParam(0);
        TaskGraph graph = new TaskGraph("history")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, stepOffsets, keyMask)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, parents, rowSentence)
                .task("parents", History::recordParents, parents, parentTable, rows, step, MAX_ROWS)
                .task("ancestry", History::ancestry, parentTable, stepOffsets, keyMask, rowSentence, table, rows, step,
                        MAX_ROWS, STEPS, STEPS)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, table);

        // Naive history: for each live row, its slots so far, and its sentence.
        int[][] history = new int[SENTENCES][];
        int[] sentenceOf = new int[SENTENCES];
        for (int s = 0; s < SENTENCES; s++) {
            history[s] = new int[0];
            sentenceOf[s] = s;
        }
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device.get())) {
            for (int t = 0; t < STEPS; t++) {
                boolean expanding = t == PROMPT - 1;
                boolean dropping = t == STEPS - 3; // sentence 0 leaves the batch
                int n;
                int[] parent;
                if (t < PROMPT - 1) {
                    n = SENTENCES;
                    parent = new int[n];
                    Arrays.setAll(parent, r -> r);
                } else if (expanding) {
                    n = MAX_ROWS;
                    parent = new int[n];
                    Arrays.setAll(parent, r -> r / BEAMS);
                } else {
                    n = (sentenceOf.length / BEAMS - (dropping ? 1 : 0)) * BEAMS;
                    parent = new int[n];
                    for (int r = 0; r < n; r++) {
                        int oldSentenceBlock = r / BEAMS + (dropping ? 1 : 0);
                        parent[r] = oldSentenceBlock * BEAMS + random.nextInt(BEAMS); // any beam of the same sentence
                    }
                }
                int[][] nextHistory = new int[n][];
                int[] nextSentence = new int[n];
                for (int r = 0; r < n; r++) {
                    int[] old = t == 0 ? new int[0] : history[parent[r]];
                    nextSentence[r] = t == 0 ? r : sentenceOf[parent[r]];
                    nextHistory[r] = Arrays.copyOf(old, t + 1);
                    nextHistory[r][t] = offsets[t] + r;
                }
                history = nextHistory;
                sentenceOf = nextSentence;
                for (int r = 0; r < n; r++) {
                    parents.set(r, parent[r]);
                    rowSentence.set(r, sentenceOf[r]);
                }
                rows.set(n);
                step.set(t);
                plan.execute();
                for (int r = 0; r < n; r++) {
                    int[] expected = new int[t + 1];
                    for (int j = 0; j <= t; j++) {
                        expected[j] = mask[sentenceOf[r] * STEPS + j] != 0 ? history[r][j] : -1;
                    }
                    int[] actual = Arrays.copyOfRange(table.toHeapArray(), r * STEPS, r * STEPS + t + 1);
                    assertArrayEquals(expected, actual, "step " + t + " row " + r + " on " + device);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void appendExpandAndLookup(TestDevice device) {
        int width = 3;
        FloatArray src = HostArrays.randomFloats(4 * width, 3);
        FloatArray cache = new FloatArray(10 * width);
        HalfFloatArray halfCache = new HalfFloatArray(10 * width);
        IntArray stepOffsets = IntArray.fromArray(0, 2, 6);
        FloatArray expanded = new FloatArray(2 * 3 * 2 * width);
        IntArray positions = IntArray.fromArray(10, 11, 12, 20, 21, 22);
        IntArray rowSentence = IntArray.fromArray(1, 0, 1);
        IntArray looked = new IntArray(3);
        TaskGraph graph = new TaskGraph("h")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, src, cache, halfCache, stepOffsets, positions,
                        rowSentence)
                .task("append", History::append, src, cache, stepOffsets, 4, width, 1)
                .task("appendHalf", History::appendHalf, src, halfCache, stepOffsets, 4, width, 1)
                .task("expand", History::expand, src, expanded, 2, 3, 2, width)
                .task("lookup", History::rowLookup, positions, rowSentence, looked, 3, 2, 3)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, cache, halfCache, expanded, looked);
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device.get())) {
            plan.execute();
        }
        float[] s = src.toHeapArray();
        float[] expectedCache = new float[10 * width];
        System.arraycopy(s, 0, expectedCache, 2 * width, 4 * width);
        assertArrayEquals(expectedCache, cache.toHeapArray(), 0f, "append on " + device);
        assertArrayEquals(HalfFloatArray.fromArray(expectedCache).toHeapArray(), halfCache.toHeapArray(), 0f,
                "appendHalf (rounded to nearest fp16) on " + device);
        float[] expectedExpanded = new float[2 * 3 * 2 * width];
        for (int g = 0; g < 2; g++) {
            for (int k = 0; k < 3; k++) {
                System.arraycopy(s, g * 2 * width, expectedExpanded, (g * 3 + k) * 2 * width, 2 * width);
            }
        }
        assertArrayEquals(expectedExpanded, expanded.toHeapArray(), 0f, "expand on " + device);
        assertArrayEquals(new int[] {22, 12, 22}, looked.toHeapArray(), "rowLookup on " + device);
    }
}
