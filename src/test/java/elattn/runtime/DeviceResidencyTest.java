package elattn.runtime;

import static elattn.testing.HostArrays.assertClose;
import static elattn.testing.HostArrays.copy;
import static elattn.testing.HostArrays.randomFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.testing.TestDevices.TestDevice;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Kernel writes persist across executes, and graphs of one plan share device buffers. */
class DeviceResidencyTest {
    private static final int N = 777;
    private static final long FLOATS = N * 4L;

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void kernelWritesPersistAcrossExecutes(TestDevice testDevice) {
        FloatArray acc = randomFloats(N, 11);
        FloatArray x = randomFloats(N, 12);
        FloatArray expected = copy(acc);
        ImmutableTaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, x)
                .task("acc", RuntimeTestKernels::accumulate, acc, x)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, acc)
                .snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())) {
            for (int i = 0; i < 3; i++) {
                plan.execute();
                RuntimeTestKernels.accumulate(expected, x);
                assertClose(expected, acc, "execute " + i);
                acc.init(-1000f); // not sent: acc was placed on the device once, and the kernel keeps adding there
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void graphsOfOnePlanShareBuffers(TestDevice testDevice) {
        FloatArray a = randomFloats(N, 13);
        FloatArray b = randomFloats(N, 14);
        FloatArray sum = new FloatArray(N);
        FloatArray out = new FloatArray(N);
        ImmutableTaskGraph produce = new TaskGraph("produce")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b)
                .task("add", RuntimeTestKernels::add, a, b, sum)
                .persistOnDevice(sum)
                .snapshot();
        ImmutableTaskGraph consume = new TaskGraph("consume")
                .consumeFromDevice(sum)
                .task("scale", RuntimeTestKernels::scaleFirst, sum, out, 2f, N)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out)
                .snapshot();
        FloatArray expectedSum = new FloatArray(N);
        RuntimeTestKernels.add(a, b, expectedSum);
        FloatArray expected = new FloatArray(N);
        RuntimeTestKernels.scaleFirst(expectedSum, expected, 2f, N);
        try (ExecutionPlan plan = new ExecutionPlan(produce, consume).withDevice(testDevice.get()).withProfiler()) {
            ExecutionResult first = plan.execute();
            assertClose(expected, out, "out");
            assertEquals(4 * FLOATS, first.getBytesToDevice(), "a, b, sum (produce) and out (consume), once each");
            assertEquals(List.of("produce.add", "consume.scale"),
                    List.copyOf(first.getTaskNanos().keySet()));

            out.init(0f);
            ExecutionResult again = plan.execute("consume");
            assertEquals(0, again.getBytesToDevice());
            assertClose(expected, out, "consume alone reads the sum the producer left");
            assertEquals(Set.of("consume.scale"), again.getTaskNanos().keySet());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void consumingBeforeProducingIsAnError(TestDevice testDevice) {
        FloatArray a = new FloatArray(N);
        FloatArray sum = new FloatArray(N);
        FloatArray out = new FloatArray(N);
        ImmutableTaskGraph produce = new TaskGraph("produce")
                .task("add", RuntimeTestKernels::add, a, a, sum).persistOnDevice(sum).snapshot();
        ImmutableTaskGraph consume = new TaskGraph("consume").consumeFromDevice(sum)
                .task("scale", RuntimeTestKernels::scaleFirst, sum, out, 2f, N).snapshot();
        try (ExecutionPlan plan = new ExecutionPlan(produce, consume).withDevice(testDevice.get())) {
            ElattnRuntimeException e = assertThrows(ElattnRuntimeException.class, () -> plan.execute("consume"));
            assertTrue(e.getMessage().contains("graph consume consumes FloatArray[" + N + "]"), e.getMessage());
            assertTrue(e.getMessage().contains("execute the graph that persists it first"), e.getMessage());
        }
    }

    /**
     * A device-resident array starts as zeros on the device, whatever its host memory holds, and no
     * bytes of it cross the bus; named in a transfer it is copied like any array.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void deviceResidentArraysStartAsZerosOnTheDevice(TestDevice testDevice) {
        FloatArray x = randomFloats(N, 15);
        FloatArray scratch = FloatArray.deviceResident(N);
        scratch.init(-1000f); // never sent: the device buffer must start as zeros
        FloatArray sent = FloatArray.deviceResident(N);
        sent.init(3f);
        assertTrue(scratch.isDeviceResident() && !x.isDeviceResident());
        ImmutableTaskGraph graph = new TaskGraph("g")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, x, sent)
                .task("acc", RuntimeTestKernels::accumulate, scratch, x)
                .task("accSent", RuntimeTestKernels::accumulate, sent, x)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, scratch, sent)
                .snapshot();
        FloatArray expectedSent = new FloatArray(N);
        expectedSent.init(3f);
        RuntimeTestKernels.accumulate(expectedSent, x);
        try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(testDevice.get())) {
            ExecutionResult r = plan.execute();
            assertClose(x, scratch, "0 + x");
            assertClose(expectedSent, sent, "3 + x: a device-resident array named in a transfer is copied");
            assertEquals(2 * FLOATS, r.getBytesToDevice(), "x and sent; scratch is zero-filled on the device");
        }
    }
}
