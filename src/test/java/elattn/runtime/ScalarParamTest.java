package elattn.runtime;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.copy;
import static elattn.testing.HostArrays.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Scalar holders are read at every execute: loop bounds and values change without rebuilding. */
class ScalarParamTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void intAndFloatParamsChangeBetweenExecutes(TestDevice testDevice) {
        int capacity = 500;
        FloatArray in = randomFloats(capacity, 21);
        FloatArray out = new FloatArray(capacity);
        FloatArray expected = new FloatArray(capacity);
        IntParam live = new IntParam(0);
        FloatParam scale = new FloatParam(1f);
        ImmutableTaskGraph graph = new TaskGraph("step")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, in)
                .task("scale", RuntimeTestKernels::scaleFirst, in, out, scale, live)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())) {
            int[] sizes = {3, 250, 499, 0, 500};
            for (int step = 0; step < sizes.length; step++) {
                live.set(sizes[step]);
                scale.set(step + 0.5f);
                plan.execute();
                RuntimeTestKernels.scaleFirst(copy(in), expected, scale.get(), live.get());
                assertClose(expected, out, "step " + step + " with n=" + sizes[step]);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void longParamChangesBetweenExecutes(TestDevice testDevice) {
        IntArray out = new IntArray(64);
        LongParam base = new LongParam(0);
        ImmutableTaskGraph graph = new TaskGraph("g")
                .task("iota", RuntimeTestKernels::iota, out, base)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())) {
            for (long b : new long[] {7, 1L << 33, -5}) {
                base.set(b);
                plan.execute();
                IntArray expected = new IntArray(64);
                RuntimeTestKernels.iota(expected, b);
                assertArrayEquals(expected.toHeapArray(), out.toHeapArray(), "base " + b);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void twoDimensionalRangeFollowsIntParam(TestDevice testDevice) {
        int rows = 37;
        int cols = 53;
        FloatArray in = randomFloats(rows * cols, 22);
        FloatArray out = new FloatArray(rows * cols);
        IntParam liveRows = new IntParam(rows);
        ImmutableTaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, in)
                .task("rows", RuntimeTestKernels::rowScale, in, out, liveRows, cols)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out)
                .snapshot();
        FloatArray expected = new FloatArray(rows * cols);
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())) {
            for (int r : new int[] {rows, 5, 36}) {
                liveRows.set(r);
                in.init(r);
                plan.execute();
                // rows from r on keep what the device computed in earlier executes
                RuntimeTestKernels.rowScale(copy(in), expected, r, cols);
                assertClose(expected, out, r + " rows");
            }
        }
    }
}
