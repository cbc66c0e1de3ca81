package elattn.runtime;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Mistakes get errors that say where they are and what to do. */
class ErrorMessagesTest {
    private final FloatArray a = new FloatArray(8);
    private final FloatArray b = new FloatArray(8);
    private final FloatArray c = new FloatArray(8);

    private static void assertMessage(Executable call, String... parts) {
        ElattnRuntimeException e = assertThrows(ElattnRuntimeException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
        }
    }

    @Test
    void wrongArgumentTypeNamesGraphTaskIndexAndTypes() {
        assertMessage(() -> new TaskGraph("g").task("t", RuntimeTestKernels::add, a, new IntArray(8), c),
                "graph g, task t", "RuntimeTestKernels.add", "argument 2 of 3", "must be a FloatArray", "got IntArray");
        assertMessage(() -> new TaskGraph("g").task("t", RuntimeTestKernels::scaleFirst, a, b, 2.0, 8),
                "argument 3 of 4", "float (a Float or FloatParam)", "got Double");
        assertMessage(() -> new TaskGraph("g").task("t", RuntimeTestKernels::iota, new IntArray(8), 5),
                "argument 2 of 2", "long (a Long or LongParam)", "got Integer");
        assertMessage(() -> new TaskGraph("g").task("t", RuntimeTestKernels::groupSums, a, b, c),
                "argument 1 of 3", "KernelContext");
    }

    @Test
    void wrongArgumentCount() {
        assertMessage(() -> new TaskGraph("g").task("t", RuntimeTestKernels::add, a, b),
                "graph g, task t", "takes 3 arguments", "got 2");
    }

    @Test
    void lambdasAreRejected() {
        assertMessage(() -> new TaskGraph("g").task("t", (FloatArray x) -> x.set(0, 1f), a),
                "graph g, task t", "static method");
    }

    @Test
    void transferMistakes() {
        assertMessage(() -> new TaskGraph("g").transferToDevice(DataTransferMode.UNDER_DEMAND, a),
                "UNDER_DEMAND applies to transferToHost only");
        assertMessage(() -> new TaskGraph("g").transferToDevice(DataTransferMode.EVERY_EXECUTION, a, 3),
                "transferToDevice argument 2 is a Integer");
        assertMessage(() -> new TaskGraph("g").task("t", RuntimeTestKernels::add, a, b, c)
                .task("t", RuntimeTestKernels::add, a, b, c), "already has a task named t");
    }

    @Test
    void consumerWithoutPersistingGraph() {
        ImmutableTaskGraph consumer = new TaskGraph("consumer").consumeFromDevice(a)
                .task("t", RuntimeTestKernels::add, a, b, c).snapshot();
        assertMessage(() -> new ExecutionPlan(consumer), "graph consumer consumes FloatArray[8]", "persistOnDevice");
    }

    @Test
    void unknownDeviceListsTheAvailableOnes() {
        assertMessage(() -> Devices.byId("cuda:7"), "no device 'cuda:7'", "available devices: ", "jvm");
    }

    @Test
    void planMistakes() {
        ImmutableTaskGraph graph = new TaskGraph("g").task("t", RuntimeTestKernels::add, a, b, c).snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph)) {
            assertMessage(() -> plan.withGrid("g.x", new WorkerGrid1D(8)), "no task g.x", "[g.t]");
            assertMessage(() -> plan.withGrid("g.t", new WorkerGrid1D(8)), "@Parallel kernel");
            assertMessage(() -> plan.execute("h"), "no task graph h", "[g]");
        }
        assertMessage(() -> new ExecutionPlan(graph, graph), "both named g");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void gridMistakesNameTheTaskAndDevice(TestDevice testDevice) {
        Device device = testDevice.get();
        ImmutableTaskGraph graph = new TaskGraph("r")
                .task("sums", RuntimeTestKernels::groupSums, new KernelContext(), a, b).snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(device)) {
            assertMessage(plan::execute, "graph r, task sums (RuntimeTestKernels.groupSums)", "needs a launch grid",
                    "withGrid(\"r.sums\"");
            plan.withGrid("r.sums", new WorkerGrid1D(8));
            assertMessage(plan::execute, "no local work size");
            plan.withGrid("r.sums", new WorkerGrid1D(8).setLocalWork(3));
            assertMessage(plan::execute, "graph r, task sums", "not a multiple of local work [3]");
        }
    }

    @Test
    void kernelFailureOnTheJvmNamesTheTaskAndDevice() {
        ImmutableTaskGraph graph = new TaskGraph("g").task("oob", RuntimeTestKernels::readPastEnd, a, b).snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(Devices.byId("jvm"))) {
            assertMessage(plan::execute, "graph g, task oob (RuntimeTestKernels.readPastEnd) on device jvm",
                    "is out of range for array a of length 8 in kernel RuntimeTestKernels.readPastEnd");
        }
    }

    @Test
    void closedPlanCannotExecute() {
        ImmutableTaskGraph graph = new TaskGraph("g").task("t", RuntimeTestKernels::add, a, b, c).snapshot();
        ExecutionPlan plan = new ExecutionPlan(graph).withDevice(Devices.byId("jvm"));
        ExecutionResult result = plan.execute();
        plan.close();
        assertMessage(plan::execute, "closed");
        assertMessage(() -> result.transferToHost(c), "closed");
    }
}
