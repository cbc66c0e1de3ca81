package elattn.compiler.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid1D;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Private kernels, used as tasks by their own class (TornadoVM's tests keep their kernels private),
 * and a KernelContext that is not the first parameter.
 */
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

    /** The context in the middle of the parameters, as TornadoVM allows. */
    private static void addAt(FloatArray y, KernelContext ctx, float d) {
        int i = ctx.globalIdx;
        if (i < y.getSize()) {
            y.set(i, y.get(i) + d * i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void runsOnEveryDevice(TestDevice device) {
        FloatArray x = FloatArray.fromArray(new float[] {1f, -2f, 0.5f, 4f});
        FloatArray y = new FloatArray(4);
        WorkerGrid1D grid = new WorkerGrid1D(4);
        grid.setLocalWork(4, 1, 1);
        TaskGraph graph = new TaskGraph("p").transferToDevice(DataTransferMode.FIRST_EXECUTION, x)
                .task("scale", PrivateKernelTest::scale, x, y)
                .task("offset", PrivateKernelTest::offset, new KernelContext(), y)
                .task("addAt", PrivateKernelTest::addAt, y, new KernelContext(), 0.25f)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device.get())
                .withGrid("p.offset", grid).withGrid("p.addAt", grid)) {
            plan.execute();
        }
        assertArrayEquals(new float[] {3.5f, -5.25f, 2.5f, 13.25f}, y.toHeapArray());
    }
}
