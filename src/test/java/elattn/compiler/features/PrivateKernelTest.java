package elattn.compiler.features;

import static elattn.testing.Plans.executeOnce;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;
import elattn.runtime.DataTransferMode;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid1D;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Private kernels, used as tasks by their own class (TornadoVM's tests keep their kernels private). */
class PrivateKernelTest {
    private static void scale(FloatArray x, FloatArray y) {
        for (@Parallel int i = 0; i < x.getSize(); i++) {
            y.set(i, 3f * x.get(i) + 1f);
        }
    }

    private static void offset(KernelContext ctx, FloatArray y) {
        int i = ctx.globalIdx;
        if (i < y.getSize()) {
            y.set(i, y.get(i) - 0.5f);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void runsOnEveryDevice(TestDevice device) {
        FloatArray x = FloatArray.fromArray(new float[] {1f, -2f, 0.5f, 4f});
        FloatArray y = new FloatArray(4);
        WorkerGrid1D grid = new WorkerGrid1D(4);
        grid.setLocalWork(4, 1, 1);
        executeOnce(device, new TaskGraph("p").transferToDevice(DataTransferMode.FIRST_EXECUTION, x)
                .task("scale", PrivateKernelTest::scale, x, y)
                .task("offset", PrivateKernelTest::offset, new KernelContext(), y)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y), "p.offset", grid);
        assertArrayEquals(new float[] {3.5f, -5.5f, 2f, 12.5f}, y.toHeapArray());
    }
}
