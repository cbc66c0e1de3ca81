package elattn.tasks;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.randomFloats;
import static elattn.testing.Plans.executeOnce;

import elattn.kernel.FloatArray;
import elattn.runtime.DataTransferMode;
import elattn.runtime.TaskGraph;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The residual add on every test device against a double-precision sum computed here. */
class ResidualTest {
    private static final int N = 777; // live elements; the arrays hold 5 more

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void addsIntoTheFirstOperand(TestDevice device) {
        FloatArray x = randomFloats(N + 5, 1);
        FloatArray y = randomFloats(N + 5, 2);
        float[] expected = new float[N + 5];
        for (int i = 0; i < N + 5; i++) {
            expected[i] = i < N ? (float) ((double) x.get(i) + y.get(i)) : x.get(i);
        }
        TaskGraph graph = new TaskGraph("r").transferToDevice(DataTransferMode.FIRST_EXECUTION, x, y)
                .task("add", Residual::add, x, y, N)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, x);
        executeOnce(device, graph);
        assertClose(expected, x.toHeapArray(), 1e-6f, "add on " + device);
    }
}
