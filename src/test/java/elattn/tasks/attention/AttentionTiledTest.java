package elattn.tasks.attention;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.randomFloats;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid3D;
import elattn.runtime.WorkerGrid1D;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The work-group forms {@link Attention#scoresTiled}, {@link Attention#softmaxGroup} and
 * {@link Attention#contextTiled}, and the loop forms, on every test device against attention
 * computed here in double straight from the key-table definition. The shapes span more than one
 * block of lanes, keys and columns, with widths that are not multiples of the staging chunks, and
 * with key tables that agree within a block (cross-attention, encoder), differ in some slots
 * (beams' ancestries), differ completely (MHA's per-row copies), or leave rows without keys.
 */
class AttentionTiledTest {
    /** One attention problem; {@code tables} says how rows map to key tables. */
    record Shape(String name, int rows, int heads, int width, int headStride, int stateWidth, int keyStride,
            int keyCount, Tables tables) {
        @Override
        public String toString() {
            return name;
        }
    }

    enum Tables { PER_SENTENCE, ANCESTRY, PER_ROW }

    static Stream<Arguments> cases() {
        List<Shape> shapes = List.of(
                // EL cross-attention: 4 beams of a sentence share a table; 72 lanes, 70 columns, 75 keys.
                new Shape("el-cross", 24, 3, 70, 0, 70, 80, 75, Tables.PER_SENTENCE),
                // EL self-attention: one table per row, mostly the same slots as the sentence's first beam.
                new Shape("el-self", 22, 3, 40, 0, 40, 70, 67, Tables.ANCESTRY),
                // Encoder MHA: 70 positions per head over 9-wide heads of 18-wide states.
                new Shape("mha-encoder", 70, 2, 9, 9, 18, 70, 70, Tables.PER_SENTENCE),
                // MHA cross-attention over per-row copies: no table agrees with another.
                new Shape("mha-copies", 66, 2, 8, 8, 16, 65, 65, Tables.PER_ROW));
        return TestDevices.devices().flatMap(d -> shapes.stream().map(s -> Arguments.of(d, s)));
    }

    private final Random random = new Random(7);

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void tiledAndLoopFormsEqualReference(TestDevice device, Shape s) {
        int slots = 3 * s.keyStride() + s.rows();
        FloatArray states = randomFloats(slots * s.stateWidth(), 21);
        FloatArray queries = randomFloats(s.rows() * s.heads() * s.width(), 22);
        int tableCount = s.tables() == Tables.PER_SENTENCE ? (s.rows() + 3) / 4 : s.rows();
        int[] rowMap = new int[s.rows()];
        IntArray keyTable = new IntArray(tableCount * s.keyStride());
        int[][] slotsOf = new int[tableCount][s.keyCount()];
        for (int t = 0; t < tableCount; t++) {
            for (int j = 0; j < s.keyCount(); j++) {
                int slot = switch (s.tables()) {
                    case PER_SENTENCE -> j < s.keyCount() - 5 * (t % 3) ? (t * 7 + j) % slots : -1;
                    case ANCESTRY -> random.nextInt(5) == 0 ? random.nextInt(slots) : (j % 6 == 5 ? -1 : j);
                    case PER_ROW -> (t * 11 + j * 3) % slots;
                };
                slotsOf[t][j] = slot;
                keyTable.set(t * s.keyStride() + j, slot);
            }
        }
        if (s.tables() == Tables.ANCESTRY) {
            // A row without any key: all-zero probabilities and context.
            for (int j = 0; j < s.keyCount(); j++) {
                slotsOf[3][j] = -1;
                keyTable.set(3 * s.keyStride() + j, -1);
            }
        }
        for (int r = 0; r < s.rows(); r++) {
            rowMap[r] = s.tables() == Tables.PER_SENTENCE ? r / 4 : r;
        }
        float scale = 0.3f;
        float[] expected = reference(s, queries, states, slotsOf, rowMap, scale);

        IntArray map = IntArray.fromArray(rowMap);
        int scoreSize = s.rows() * s.heads() * s.keyStride();
        FloatArray loopScores = new FloatArray(scoreSize);
        FloatArray loopOut = new FloatArray(s.rows() * s.heads() * s.width());
        TaskGraph loop = new TaskGraph("loop")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, queries, states, keyTable, map)
                .task("scores", Attention::scores, queries, states, keyTable, map, loopScores, s.rows(), s.heads(),
                        s.width(), s.headStride(), s.stateWidth(), s.keyStride(), s.keyCount(), scale)
                .task("context", Attention::context, loopScores, states, keyTable, map, loopOut, s.rows(), s.heads(),
                        s.width(), s.headStride(), s.stateWidth(), s.keyStride(), s.keyCount())
                .transferToHost(DataTransferMode.EVERY_EXECUTION, loopOut);

        FloatArray scores = new FloatArray(scoreSize);
        FloatArray out = new FloatArray(s.rows() * s.heads() * s.width());
        out.init(Float.NaN);
        TaskGraph tiled = new TaskGraph("tiled")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, queries, states, keyTable, map, out)
                .task("scores", Attention::scoresTiled, new KernelContext(), queries, states, keyTable, map, scores,
                        s.rows(), s.heads(), s.width(), s.headStride(), s.stateWidth(), s.keyStride(), s.keyCount(),
                        scale)
                .task("softmax", Attention::softmaxGroup, new KernelContext(), scores, s.rows(), s.heads(),
                        s.keyStride(), s.keyCount())
                .task("context", Attention::contextTiled, new KernelContext(), scores, states, keyTable, map, out,
                        s.rows(), s.heads(), s.width(), s.headStride(), s.stateWidth(), s.keyStride(), s.keyCount())
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        int lanes = s.rows() * (s.headStride() == 0 ? s.heads() : 1);
        int z = s.headStride() == 0 ? 1 : s.heads();
        int e = Attention.GROUP_EDGE;
        try (ExecutionPlan plan = new ExecutionPlan(loop.snapshot(), tiled.snapshot()).withDevice(device.get())) {
            plan.withGrid("tiled.scores", new WorkerGrid3D(blocks(s.keyCount()) * e, blocks(lanes) * e, z)
                    .setLocalWork(e, e, 1));
            plan.withGrid("tiled.softmax", new WorkerGrid1D((long) s.rows() * s.heads() * Attention.SOFTMAX_GROUP)
                    .setLocalWork(Attention.SOFTMAX_GROUP));
            plan.withGrid("tiled.context", new WorkerGrid3D(blocks(s.width()) * e, blocks(lanes) * e, z)
                    .setLocalWork(e, e, 1));
            plan.execute();
        }
        assertClose(expected, loopOut.toHeapArray(), 1e-5f, "loop forms, " + s + " on " + device);
        assertClose(expected, out.toHeapArray(), 1e-5f, "work-group forms, " + s + " on " + device);
    }

    private static long blocks(int n) {
        return (n + Attention.TILE - 1) / Attention.TILE;
    }

    /** out[r,h,c] = sum_j softmax_j(scale * q[r,h,:] . states[slot_j, h*headStride ..]) * states[slot_j, h*headStride + c]. */
    private static float[] reference(Shape s, FloatArray q, FloatArray states, int[][] slotsOf, int[] rowMap,
            float scale) {
        float[] out = new float[s.rows() * s.heads() * s.width()];
        for (int r = 0; r < s.rows(); r++) {
            int[] keys = slotsOf[rowMap[r]];
            for (int h = 0; h < s.heads(); h++) {
                int qi = r * s.heads() + h;
                int col = h * s.headStride();
                double[] p = new double[s.keyCount()];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < s.keyCount(); j++) {
                    if (keys[j] >= 0) {
                        double dot = 0;
                        for (int c = 0; c < s.width(); c++) {
                            dot += (double) q.get(qi * s.width() + c) * states.get(keys[j] * s.stateWidth() + col + c);
                        }
                        p[j] = dot * scale;
                        max = Math.max(max, p[j]);
                    }
                }
                double sum = 0;
                for (int j = 0; j < s.keyCount(); j++) {
                    p[j] = keys[j] >= 0 ? Math.exp(p[j] - max) : 0;
                    sum += p[j];
                }
                for (int c = 0; c < s.width(); c++) {
                    double acc = 0;
                    for (int j = 0; j < s.keyCount(); j++) {
                        if (keys[j] >= 0) {
                            acc += p[j] / sum * states.get(keys[j] * s.stateWidth() + col + c);
                        }
                    }
                    out[qi * s.width() + c] = (float) acc;
                }
            }
        }
        return out;
    }
}
