package elattn.runtime;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.copy;
import static elattn.testing.HostArrays.randomFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import elattn.kernel.FloatArray;
import elattn.testing.TestDevices.TestDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each {@link DataTransferMode} moves exactly the data it promises, on every test device. */
class TransferModeTest {
    private static final int N = 1000;
    private static final long FLOATS = N * 4L;

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void firstExecutionDataIsNotResent(TestDevice testDevice) {
        FloatArray a = randomFloats(N, 1);
        FloatArray b = randomFloats(N, 2);
        FloatArray c = new FloatArray(N);
        FloatArray expected = new FloatArray(N);
        RuntimeTestKernels.add(copy(a), copy(b), expected);
        ImmutableTaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("add", RuntimeTestKernels::add, a, b, c)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())) {
            ExecutionResult first = plan.execute();
            assertClose(expected, c, "first execute");
            assertEquals(3 * FLOATS, first.getBytesToDevice(), "a, b and the undeclared c go in once");
            assertEquals(FLOATS, first.getBytesToHost());

            a.init(100f); // not sent again: the device keeps the first copy
            ExecutionResult second = plan.execute();
            assertClose(expected, c, "second execute after changing a on the host");
            assertEquals(0, second.getBytesToDevice());
            assertEquals(FLOATS, second.getBytesToHost());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void everyExecutionDataIsResent(TestDevice testDevice) {
        FloatArray a = randomFloats(N, 3);
        FloatArray b = randomFloats(N, 4);
        FloatArray c = new FloatArray(N);
        ImmutableTaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, b)
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, a)
                .task("add", RuntimeTestKernels::add, a, b, c)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())) {
            for (int step = 0; step < 3; step++) {
                a.init(step);
                FloatArray expected = new FloatArray(N);
                RuntimeTestKernels.add(copy(a), copy(b), expected);
                ExecutionResult r = plan.execute();
                assertClose(expected, c, "execute " + step);
                assertEquals(step == 0 ? 3 * FLOATS : FLOATS, r.getBytesToDevice(), "execute " + step);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void underDemandIsReadOnlyOnRequest(TestDevice testDevice) {
        FloatArray a = randomFloats(N, 5);
        FloatArray b = randomFloats(N, 6);
        FloatArray c = new FloatArray(N);
        FloatArray expected = new FloatArray(N);
        RuntimeTestKernels.add(copy(a), copy(b), expected);
        ImmutableTaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("add", RuntimeTestKernels::add, a, b, c)
                .transferToHost(DataTransferMode.UNDER_DEMAND, c)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())) {
            ExecutionResult r = plan.execute();
            assertEquals(0, r.getBytesToHost());
            assertArrayEquals(new float[N], c.toHeapArray(), "c is not read back by execute");
            r.transferToHost(c);
            assertClose(expected, c, "after transferToHost");
            assertEquals(FLOATS, r.getBytesToHost());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void firstExecutionToHostIsReadOnce(TestDevice testDevice) {
        FloatArray acc = new FloatArray(N);
        FloatArray x = randomFloats(N, 7);
        ImmutableTaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, x)
                .task("acc", RuntimeTestKernels::accumulate, acc, x)
                .transferToHost(DataTransferMode.FIRST_EXECUTION, acc)
                .snapshot();
        FloatArray expected = new FloatArray(N);
        RuntimeTestKernels.accumulate(expected, copy(x));
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())) {
            assertEquals(FLOATS, plan.execute().getBytesToHost());
            ExecutionResult second = plan.execute();
            assertEquals(0, second.getBytesToHost());
            assertClose(expected, acc, "the host keeps the first execute's result");
            RuntimeTestKernels.accumulate(expected, copy(x));
            second.transferToHost(acc);
            assertClose(expected, acc, "the device went on accumulating");
        }
    }
}
