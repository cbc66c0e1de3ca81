package elattn.runtime;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** KernelContext kernels: barriers, local memory, ids, and grids that change between executes. */
class WorkGroupTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void reductionWithBarriersFollowsTheGrid(TestDevice testDevice) {
        int n = 1024;
        FloatArray in = randomFloats(n, 31);
        FloatArray partials = new FloatArray(n / 32);
        ImmutableTaskGraph graph = new TaskGraph("reduce")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, in)
                .task("sums", RuntimeTestKernels::groupSums, new KernelContext(), in, partials)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, partials)
                .snapshot();
        WorkerGrid grid = new WorkerGrid1D(n).setLocalWork(256);
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get()).withGrid("reduce.sums", grid)) {
            // {global, local}: the grid object is read at every execute
            long[][] shapes = {{1024, 256}, {512, 64}, {1024, 32}, {256, 128}};
            for (long[] shape : shapes) {
                grid.setGlobalWork(shape[0]).setLocalWork(shape[1]);
                partials.clear();
                plan.execute();
                float[] expected = new float[n / 32];
                for (int g = 0; g < shape[0] / shape[1]; g++) {
                    double sum = 0;
                    for (int i = 0; i < shape[1]; i++) {
                        sum += in.get((int) (g * shape[1] + i));
                    }
                    expected[g] = (float) sum;
                }
                // groups beyond this launch keep what earlier launches wrote on the device
                float[] actual = partials.toHeapArray();
                for (int g = (int) (shape[0] / shape[1]); g < expected.length; g++) {
                    expected[g] = actual[g];
                }
                assertClose(expected, actual, 1e-5f, "global " + shape[0] + ", local " + shape[1]);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void localMemoryIsSharedByTheGroup(TestDevice testDevice) {
        int n = 256;
        IntArray a = new IntArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, i);
        }
        ImmutableTaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, a)
                .task("rev", RuntimeTestKernels::reverseGroups, new KernelContext(), a)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, a)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())
                .withGrid("g.rev", new WorkerGrid1D(n).setLocalWork(64))) {
            plan.execute();
            int[] expected = new int[n];
            for (int i = 0; i < n; i++) {
                expected[i] = (i / 64) * 64 + 63 - i % 64;
            }
            assertArrayEquals(expected, a.toHeapArray());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void twoDimensionalIds(TestDevice testDevice) {
        int width = 16;
        int height = 12;
        IntArray out = new IntArray(width * height);
        ImmutableTaskGraph graph = new TaskGraph("g")
                .task("ids", RuntimeTestKernels::ids2D, new KernelContext(), out)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())
                .withGrid("g.ids", new WorkerGrid2D(width, height).setLocalWork(8, 4))) {
            plan.execute();
            int[] expected = new int[width * height];
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    expected[y * width + x] = x / 8 + 100 * (y / 4) + 10000 * (x % 8) + 1000000 * (y % 4);
                }
            }
            assertArrayEquals(expected, out.toHeapArray());
        }
    }
}
