package elattn.tasks;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.randomFloats;
import static elattn.testing.Plans.executeOnce;

import elattn.kernel.FloatArray;
import elattn.runtime.DataTransferMode;
import elattn.runtime.TaskGraph;
import elattn.runtime.TaskFunctions;
import elattn.testing.TestDevices.TestDevice;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every activation on every test device against a double-precision formula computed here. */
class ActivationsTest {
    private static final int N = 1001; // live elements; the array holds 3 more, which must stay
    private static final int SIZE = N + 3;

    /** erf by its Maclaurin series, ample for |x| <= 6 in double (independent of the kernel's erf). */
    private static double erf(double x) {
        double term = x;
        double sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x * x / n;
            sum += term / (2 * n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /** In place, then from a product in 3 parts per element (added in order) into another array. */
    private static void check(TestDevice device, TaskFunctions.Task4<FloatArray, Integer, FloatArray, Integer> kernel,
            DoubleUnaryOperator formula, String name) {
        FloatArray x = randomFloats(SIZE, 11);
        for (int i = 0; i < SIZE; i++) {
            x.set(i, x.get(i) * 6); // [-6, 6): both tails and the middle
        }
        FloatArray parts = randomFloats(SIZE * 3, 12);
        float[] expected = new float[SIZE];
        float[] fromParts = new float[SIZE];
        for (int i = 0; i < SIZE; i++) {
            expected[i] = i < N ? (float) formula.applyAsDouble(x.get(i)) : x.get(i);
            float v = parts.get(3 * i) + parts.get(3 * i + 1) + parts.get(3 * i + 2);
            fromParts[i] = i < N ? (float) formula.applyAsDouble(v) : -7f;
        }
        FloatArray out = new FloatArray(SIZE);
        out.init(-7f);
        TaskGraph graph = new TaskGraph("a").transferToDevice(DataTransferMode.FIRST_EXECUTION, x, parts, out)
                .task("act", kernel, x, 1, x, N)
                .task("parts", kernel, parts, 3, out, N)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, x, out);
        executeOnce(device, graph);
        assertClose(expected, x.toHeapArray(), 1e-5f, name + " on " + device);
        assertClose(fromParts, out.toHeapArray(), 1e-5f, name + " of a product in parts on " + device);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void geluExact(TestDevice device) {
        check(device, Activations::gelu, v -> 0.5 * v * (1 + erf(v / Math.sqrt(2))), "gelu");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void geluTanh(TestDevice device) {
        check(device, Activations::geluTanh,
                v -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), "geluTanh");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void relu(TestDevice device) {
        check(device, Activations::relu, v -> Math.max(v, 0), "relu");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void silu(TestDevice device) {
        check(device, Activations::silu, v -> v / (1 + Math.exp(-v)), "silu");
    }
}
