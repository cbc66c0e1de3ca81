package elattn.compiler.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.Parallel;
import elattn.runtime.DataTransferMode;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.TaskFunctions;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid1D;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Kernels declared as TornadoVM's tests declare them: private (used as tasks by their own class),
 * overloaded, with a KernelContext that is not the first parameter.
 */
class KernelDeclarationsTest {
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

    /** Overloaded kernels: one name over fp32 and int arrays. */
    public static void twice(FloatArray a) {
        for (@Parallel int i = 0; i < a.getSize(); i++) {
            a.set(i, 2f * a.get(i));
        }
    }

    public static void twice(IntArray a) {
        for (@Parallel int i = 0; i < a.getSize(); i++) {
            a.set(i, 2 * a.get(i) + 1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void overloadedKernelsAreTasksEach(TestDevice device) {
        FloatArray f = FloatArray.fromArray(new float[] {1f, -2f, 0.5f});
        IntArray n = IntArray.fromArray(3, -4, 0);
        TaskGraph graph = new TaskGraph("o").transferToDevice(DataTransferMode.FIRST_EXECUTION, f, n)
                // The overload is picked by the reference's type (task's arguments are Objects).
                .task("floats", (TaskFunctions.Task1<FloatArray>) KernelDeclarationsTest::twice, f)
                .task("ints", (TaskFunctions.Task1<IntArray>) KernelDeclarationsTest::twice, n)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, f, n);
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device.get())) {
            plan.execute();
        }
        assertArrayEquals(new float[] {2f, -4f, 1f}, f.toHeapArray());
        assertArrayEquals(new int[] {7, -7, 1}, n.toHeapArray());
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
                .task("scale", KernelDeclarationsTest::scale, x, y)
                .task("offset", KernelDeclarationsTest::offset, new KernelContext(), y)
                .task("addAt", KernelDeclarationsTest::addAt, y, new KernelContext(), 0.25f)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
        // addAt's grid has no work-group size (it shares nothing within a group): the runtime picks one.
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device.get())
                .withGrid("p.offset", grid).withGrid("p.addAt", new WorkerGrid1D(4))) {
            plan.execute();
        }
        assertArrayEquals(new float[] {3.5f, -5.25f, 2.5f, 13.25f}, y.toHeapArray());
    }
}
