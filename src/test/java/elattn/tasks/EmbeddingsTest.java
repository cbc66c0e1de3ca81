package elattn.tasks;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.randomFloats;
import static elattn.testing.HostArrays.randomHalfs;
import static elattn.testing.Plans.executeOnce;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.runtime.DataTransferMode;
import elattn.runtime.TaskGraph;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Embedding lookup (fp32 and fp16 tables) on every test device against a double-precision lookup computed here. */
class EmbeddingsTest {
    private static final int VOCAB = 23;
    private static final int POSITIONS = 19;
    private static final int D = 37;
    private static final int ROWS = 5; // live rows; the arrays hold 7
    private static final float SCALE = 6.08f;

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void lookupScalesTokensAndAddsPositions(TestDevice device) {
        FloatArray tokenTable = randomFloats(VOCAB * D, 1);
        FloatArray positionTable = randomFloats(POSITIONS * D, 2);
        IntArray tokens = IntArray.fromArray(3, 0, 22, 3, 11, 5, 5);
        IntArray positions = IntArray.fromArray(2, 18, 0, 7, 7, 1, 1);
        FloatArray out = new FloatArray(7 * D);
        out.init(42f);
        TaskGraph graph = new TaskGraph("e").transferToDevice(DataTransferMode.EVERY_EXECUTION, tokens, positions, out)
                .task("lookup", Embeddings::lookup, tokens, positions, tokenTable, positionTable, out, ROWS, D, SCALE)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        executeOnce(device, graph);
        assertClose(expected(tokens, positions, tokenTable, positionTable), out.toHeapArray(), 1e-5f,
                "lookup on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void lookupHalfWidensFp16Tables(TestDevice device) {
        HalfFloatArray tokenTable = randomHalfs(VOCAB * D, 3);
        HalfFloatArray positionTable = randomHalfs(POSITIONS * D, 4);
        IntArray tokens = IntArray.fromArray(3, 0, 22, 3, 11, 5, 5);
        IntArray positions = IntArray.fromArray(2, 18, 0, 7, 7, 1, 1);
        FloatArray out = new FloatArray(7 * D);
        out.init(42f);
        TaskGraph graph = new TaskGraph("e").transferToDevice(DataTransferMode.EVERY_EXECUTION, tokens, positions, out)
                .task("lookup", Embeddings::lookupHalf, tokens, positions, tokenTable, positionTable, out, ROWS, D,
                        SCALE)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
        executeOnce(device, graph);
        assertClose(expected(tokens, positions, FloatArray.fromArray(tokenTable.toHeapArray()),
                FloatArray.fromArray(positionTable.toHeapArray())), out.toHeapArray(), 1e-5f,
                "lookupHalf on " + device);
    }

    /** The first ROWS rows of the lookup in double; the 2 rows past them keep the fill 42. */
    private static float[] expected(IntArray tokens, IntArray positions, FloatArray tokenTable,
            FloatArray positionTable) {
        float[] expected = new float[7 * D];
        for (int r = 0; r < 7; r++) {
            for (int j = 0; j < D; j++) {
                expected[r * D + j] = r < ROWS
                        ? (float) ((double) tokenTable.get(tokens.get(r) * D + j) * SCALE
                                + positionTable.get(positions.get(r) * D + j))
                        : 42f; // rows past the live ones are not touched
            }
        }
        return expected;
    }
}
