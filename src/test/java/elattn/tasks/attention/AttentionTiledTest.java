package elattn.tasks.attention;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.randomFloats;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid;
import elattn.runtime.WorkerGrid1D;
import elattn.runtime.WorkerGrid2D;
import elattn.runtime.WorkerGrid3D;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every form of {@link Attention} (scores, softmax and context as {@code AttentionLayer} chains
 * them) on every test device against attention computed here in double straight from the
 * key-table definition. The shapes span more than one block of lanes, keys and columns of each
 * form, with widths and key counts that are not multiples of the staging steps, and with key
 * tables that agree within a sentence (cross-attention, encoder; sentences of 4 beams that do or
 * do not fill a block of lanes), differ in some slots (beams' ancestries), differ completely
 * (MHA's per-row copies), or leave rows without keys. The buffers hold more rows than are live,
 * and the cache slots no table lists hold NaN: a form that reads a masked or unlisted slot, or
 * writes past the live rows, fails.
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

    /**
     * The kernel chains: the loop forms and each work-group scores / softmax / context triple
     * ({@link TensorCoreAttention}'s on the devices with tensor cores).
     */
    enum Form {
        LOOP, TILED, BLOCKED, ROWS, RAW, TENSOR_CORE, TENSOR_CORE_ROWS, FUSED;

        /**
         * The row forms are EL's only ({@code headStride} 0). The blocked forms are correct for any
         * tables, but make a pass per run of lanes with one table: they are tested, as used, where
         * rows share tables (on the JVM device, a thread per work item, a pass per lane takes long).
         */
        boolean supports(Shape s) {
            return switch (this) {
                case ROWS -> s.headStride() == 0;
                case TENSOR_CORE_ROWS -> s.headStride() == 0
                        && TensorCoreAttention.copiesAligned(s.width(), 0, s.stateWidth(), s.keyStride());
                case BLOCKED -> s.tables() == Tables.PER_SENTENCE;
                case TENSOR_CORE -> s.tables() == Tables.PER_SENTENCE
                        && TensorCoreAttention.copiesAligned(s.width(), s.headStride(), s.stateWidth(), s.keyStride());
                case FUSED -> s.tables() == Tables.PER_SENTENCE && s.headStride() > 0
                        && s.width() <= TensorCoreAttention.FUSED_WIDTH
                        && TensorCoreAttention.copiesAligned(s.width(), s.headStride(), s.stateWidth(), 4);
                default -> true;
            };
        }

        boolean tensorCores() {
            return this == TENSOR_CORE || this == TENSOR_CORE_ROWS || this == FUSED;
        }
    }

    /**
     * Error allowed of the tensor-core forms, relative to max(1, |expected|): their products round
     * queries, states and probabilities to fp16 (11 significant bits); a lane or key out of place
     * errs by the size of the values.
     */
    private static final float TENSOR_CORE_TOLERANCE = 1e-2f;

    /** Rows past the live ones in every row-indexed buffer. */
    private static final int SPARE_ROWS = 2;

    static Stream<Arguments> cases() {
        List<Shape> shapes = List.of(
                // EL cross-attention: 4 beams of a sentence share a table (12 lanes: a block of lanes has
                // several tables); 72 lanes, 70 columns, 75 keys.
                new Shape("el-cross", 24, 3, 70, 0, 70, 80, 75, Tables.PER_SENTENCE),
                // The same with 72 columns, a multiple of 8 as the tensor-core pair's copies need, but not of
                // their steps of 16; 75 keys (the softmax's zeros past them copied along).
                new Shape("el-cross-aligned", 24, 3, 72, 0, 72, 80, 75, Tables.PER_SENTENCE),
                // EL cross-attention with 4 beams x 16 heads = one block of lanes per sentence; 2 sentences,
                // 133 keys and 136 columns: two blocks of each.
                new Shape("el-cross-sentence-blocks", 8, 16, 136, 0, 136, 136, 133, Tables.PER_SENTENCE),
                // EL self-attention: one table per row, mostly the same slots as its neighbours'; 67 keys.
                new Shape("el-self", 22, 3, 40, 0, 40, 70, 67, Tables.ANCESTRY),
                // The same with 72 columns and score rows of 68, as the tensor-core row pair needs.
                new Shape("el-self-aligned", 22, 3, 72, 0, 72, 68, 67, Tables.ANCESTRY),
                // EL self-attention with 18 heads (two blocks of heads per row) and 264 columns (two blocks
                // of the tensor-core context's 256, two stages of its scores' 128): 9 keys.
                new Shape("el-self-wide-aligned", 5, 18, 264, 0, 264, 12, 9, Tables.ANCESTRY),
                // EL self-attention with 18 heads (two blocks of heads per row) and 260 columns.
                new Shape("el-self-wide", 5, 18, 260, 0, 260, 12, 9, Tables.ANCESTRY),
                // Encoder MHA: 70 positions per head over 9-wide heads of 18-wide states.
                new Shape("mha-encoder", 70, 2, 9, 9, 18, 70, 70, Tables.PER_SENTENCE),
                // Encoder MHA with 64-wide heads (the fused form's widest) and 130 keys: three blocks of its keys.
                new Shape("mha-encoder-wide", 66, 2, 64, 64, 128, 130, 130, Tables.PER_SENTENCE),
                // The same with score rows of 132 (a multiple of 4, as the tensor-core pair needs).
                new Shape("mha-encoder-aligned", 66, 2, 64, 64, 128, 132, 130, Tables.PER_SENTENCE),
                // MHA cross-attention over per-row copies: no table agrees with another.
                new Shape("mha-copies", 66, 2, 8, 8, 16, 65, 65, Tables.PER_ROW));
        return TestDevices.devices().flatMap(d -> shapes.stream().flatMap(s -> Arrays.stream(Form.values())
                .filter(f -> f.supports(s) && (!f.tensorCores() || TestDevices.hasTensorCores(d)))
                .map(f -> Arguments.of(d, s, f))));
    }

    private final Random random = new Random(7);

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void formEqualsReference(TestDevice device, Shape s, Form form) {
        int slots = 3 * s.keyStride() + s.rows();
        int bufferRows = s.rows() + SPARE_ROWS;
        int tableCount = s.tables() == Tables.PER_SENTENCE ? (bufferRows + 3) / 4 : bufferRows;
        int[] rowMap = new int[bufferRows];
        IntArray keyTable = new IntArray(tableCount * s.keyStride());
        int[][] slotsOf = new int[tableCount][s.keyCount()];
        boolean[] listed = new boolean[slots];
        for (int t = 0; t < tableCount; t++) {
            for (int j = 0; j < s.keyCount(); j++) {
                int slot = switch (s.tables()) {
                    case PER_SENTENCE -> j < s.keyCount() - 5 * (t % 3) ? (t * 7 + j) % slots : -1;
                    case ANCESTRY -> random.nextInt(5) == 0 ? random.nextInt(slots) : (j % 6 == 5 ? -1 : j);
                    case PER_ROW -> (t * 11 + j * 3) % slots;
                };
                if (s.tables() == Tables.ANCESTRY && t == 3) {
                    slot = -1; // a row without any key: all-zero probabilities and context
                }
                slotsOf[t][j] = slot;
                keyTable.set(t * s.keyStride() + j, slot);
                if (slot >= 0) {
                    listed[slot] = true;
                }
            }
        }
        for (int r = 0; r < bufferRows; r++) {
            rowMap[r] = s.tables() == Tables.PER_SENTENCE ? r / 4 : r;
        }
        FloatArray states = randomFloats(slots * s.stateWidth(), 21);
        for (int slot = 0; slot < slots; slot++) {
            if (!listed[slot]) {
                for (int c = 0; c < s.stateWidth(); c++) {
                    states.set(slot * s.stateWidth() + c, Float.NaN);
                }
            }
        }
        FloatArray queries = randomFloats(bufferRows * s.heads() * s.width(), 22);
        float scale = 0.3f;
        float[] expected = reference(s, queries, states, slotsOf, rowMap, scale);

        IntArray map = IntArray.fromArray(rowMap);
        FloatArray scores = new FloatArray(bufferRows * s.heads() * s.keyStride());
        FloatArray out = new FloatArray(bufferRows * s.heads() * s.width());
        out.init(Float.NaN);
        // The tensor-core pair reads the states in fp16 (NaN stays NaN).
        HalfFloatArray halfStates = HalfFloatArray.fromArray(states.toHeapArray());
        TaskGraph graph = new TaskGraph("attention")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, queries, states, halfStates, keyTable, map, out);
        addTasks(graph, form, s, queries, states, halfStates, keyTable, map, scores, out, scale);
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device.get())) {
            setGrids(plan, form, s);
            plan.execute();
        }
        float[] all = out.toHeapArray();
        int live = s.rows() * s.heads() * s.width();
        assertClose(expected, Arrays.copyOf(all, live), form.tensorCores() ? TENSOR_CORE_TOLERANCE : 1e-5f,
                form + " forms, " + s + " on " + device);
        for (int i = live; i < all.length; i++) {
            assertTrue(Float.isNaN(all[i]), form + " forms, " + s + " on " + device + ": wrote past the rows at " + i);
        }
    }

    private static void addTasks(TaskGraph g, Form form, Shape s, FloatArray queries, FloatArray states,
            HalfFloatArray halfStates, IntArray keyTable, IntArray map, FloatArray scores, FloatArray out,
            float scale) {
        int rows = s.rows();
        int heads = s.heads();
        int width = s.width();
        int headStride = s.headStride();
        int stateWidth = s.stateWidth();
        int keyStride = s.keyStride();
        int keyCount = s.keyCount();
        switch (form) {
            case LOOP -> g.task("scores", Attention::scores, queries, states, keyTable, map, scores, rows, heads, width,
                    headStride, stateWidth, keyStride, keyCount, scale);
            case TILED -> g.task("scores", Attention::scoresTiled, new KernelContext(), queries, states, keyTable, map,
                    scores, rows, heads, width, headStride, stateWidth, keyStride, keyCount, scale);
            case BLOCKED -> g.task("scores", Attention::scoresBlocked, new KernelContext(), queries, states, keyTable,
                    map, scores, rows, heads, width, headStride, stateWidth, keyStride, keyCount, scale);
            case ROWS -> g.task("scores", Attention::scoresRows, new KernelContext(), queries, states, keyTable, map,
                    scores, rows, heads, width, stateWidth, keyStride, keyCount, scale);
            case TENSOR_CORE -> g.task("scores", TensorCoreAttention::scores, new KernelContext(), queries, halfStates,
                    keyTable, map, scores, rows, heads, width, headStride, stateWidth, keyStride, keyCount, scale);
            case TENSOR_CORE_ROWS -> g.task("scores", TensorCoreAttention::scoresRows, new KernelContext(), queries,
                    halfStates, keyTable, map, scores, rows, heads, width, stateWidth, keyStride, keyCount, scale);
            case RAW -> g.task("scores", Attention::rawScores, queries, states, keyTable, map, scores, rows, heads,
                    width, headStride, stateWidth, keyStride, keyCount, scale);
        }
        if (form == Form.FUSED) {
            g.task("fused", TensorCoreAttention::fused, new KernelContext(), queries, halfStates, halfStates, keyTable, map, out,
                    rows, heads, width, headStride, stateWidth, keyStride, keyCount, scale);
            return;
        }
        if (form != Form.LOOP) {
            g.task("softmax", Attention::softmaxGroup, new KernelContext(), scores, rows, heads, keyStride, keyCount);
        }
        switch (form) {
            case LOOP, RAW -> g.task("context", Attention::context, scores, states, keyTable, map, out, rows, heads,
                    width, headStride, stateWidth, keyStride, keyCount);
            case TILED -> g.task("context", Attention::contextTiled, new KernelContext(), scores, states, keyTable, map,
                    out, rows, heads, width, headStride, stateWidth, keyStride, keyCount);
            case BLOCKED -> g.task("context", Attention::contextBlocked, new KernelContext(), scores, states, keyTable,
                    map, out, rows, heads, width, headStride, stateWidth, keyStride, keyCount);
            case ROWS -> g.task("context", Attention::contextRows, new KernelContext(), scores, states, keyTable, map,
                    out, rows, heads, width, stateWidth, keyStride, keyCount);
            case TENSOR_CORE -> g.task("context", TensorCoreAttention::context, new KernelContext(), scores, halfStates,
                    keyTable, map, out, rows, heads, width, headStride, stateWidth, keyStride, keyCount);
            case TENSOR_CORE_ROWS -> g.task("context", TensorCoreAttention::contextRows, new KernelContext(), scores,
                    halfStates, keyTable, map, out, rows, heads, width, stateWidth, keyStride, keyCount);
        }
    }

    /** The launch grids of the work-group kernels, as {@code AttentionLayer} sizes them. */
    private static void setGrids(ExecutionPlan plan, Form form, Shape s) {
        if (form == Form.LOOP) {
            return;
        }
        if (form == Form.FUSED) {
            long[] fused = TensorCoreAttention.fusedGrid(s.rows(), s.heads());
            plan.withGrid("attention.fused", new WorkerGrid2D(fused[0], fused[1]).setLocalWork(Attention.BLOCK_GROUP, 1));
            return;
        }
        plan.withGrid("attention.softmax", new WorkerGrid1D((long) s.rows() * s.heads() * Attention.SOFTMAX_GROUP)
                .setLocalWork(Attention.SOFTMAX_GROUP));
        switch (form) {
            case TILED -> {
                int lanes = s.rows() * (s.headStride() == 0 ? s.heads() : 1);
                int z = s.headStride() == 0 ? 1 : s.heads();
                int e = Attention.GROUP_EDGE;
                plan.withGrid("attention.scores", new WorkerGrid3D(tiles(s.keyCount()) * e, tiles(lanes) * e, z)
                        .setLocalWork(e, e, 1));
                plan.withGrid("attention.context", new WorkerGrid3D(tiles(s.width()) * e, tiles(lanes) * e, z)
                        .setLocalWork(e, e, 1));
            }
            case BLOCKED, TENSOR_CORE -> {
                plan.withGrid("attention.scores", grid3(Attention.blockedGrid(s.rows(), s.heads(), s.headStride(),
                        s.keyCount())));
                plan.withGrid("attention.context", grid3(Attention.blockedGrid(s.rows(), s.heads(), s.headStride(),
                        s.width())));
            }
            case ROWS, TENSOR_CORE_ROWS -> {
                long[] scores = Attention.rowGrid(s.rows(), s.heads(), s.keyCount(), Attention.ROW_KEYS);
                long[] context = Attention.rowGrid(s.rows(), s.heads(), s.width(), Attention.ROW_COLUMNS);
                plan.withGrid("attention.scores", new WorkerGrid2D(scores[0], scores[1])
                        .setLocalWork(Attention.ROW_GROUP, 1));
                plan.withGrid("attention.context", new WorkerGrid2D(context[0], context[1])
                        .setLocalWork(Attention.ROW_GROUP, 1));
            }
            default -> {
            }
        }
    }

    private static WorkerGrid grid3(long[] global) {
        return new WorkerGrid3D(global[0], global[1], global[2])
                .setLocalWork(Attention.BLOCK_GROUP, 1, 1);
    }

    private static long tiles(int n) {
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
