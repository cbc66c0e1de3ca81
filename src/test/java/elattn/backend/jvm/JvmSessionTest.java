package elattn.backend.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.runtime.DeviceBuffer;
import elattn.runtime.DeviceSession;
import elattn.runtime.Devices;
import elattn.runtime.Kernel;
import elattn.runtime.KernelFaultException;
import elattn.runtime.LaunchGrid;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The jvm device through the session SPI, as the runtime drives it. */
class JvmSessionTest {
    private static Kernel kernel(String name) throws NoSuchMethodException {
        for (var m : JvmTestKernels.class.getMethods()) {
            if (m.getName().equals(name)) {
                return Kernel.of(m);
            }
        }
        throw new NoSuchMethodException(name);
    }

    @Test
    void deviceMemoryIsAnOwnCopy() {
        try (DeviceSession session = Devices.byId("jvm").open()) {
            FloatArray host = FloatArray.fromArray(1f, 2f, 3f);
            DeviceBuffer buffer = session.allocate(host);
            assertEquals(12, buffer.byteSize());
            assertEquals(3, buffer.length());
            session.copyToDevice(host.getSegment(), buffer);
            host.init(9f);
            FloatArray back = new FloatArray(3);
            session.copyToHost(buffer, back.getSegment());
            session.finish();
            assertArrayEquals(new float[] {1f, 2f, 3f}, back.toHeapArray());
        }
    }

    @Test
    void parallelRangeIsCoveredExactlyOnce() throws Exception {
        int n = 100_003;
        FloatArray host = new FloatArray(n);
        try (DeviceSession session = Devices.byId("jvm").open()) {
            DeviceBuffer buffer = session.allocate(host);
            session.copyToDevice(host.getSegment(), buffer);
            Kernel k = kernel("squares");
            DeviceSession.Launch launch = session.launch(session.compile(k), new LaunchGrid(new long[] {n}, null),
                    new Object[] {buffer});
            session.copyToHost(buffer, host.getSegment());
            session.finish();
            assertTrue(launch.elapsedNanos() > 0);
        }
        FloatArray expected = new FloatArray(n);
        JvmTestKernels.squares(expected);
        assertArrayEquals(expected.toHeapArray(), host.toHeapArray());
    }

    /** A deadlock (the group waiting for an item that died) would hang: the timeout turns it into a failure. */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void failingWorkItemReleasesItsGroup() throws Exception {
        Kernel k = kernel("failBeforeBarrier");
        FloatArray host = new FloatArray(64);
        KernelFaultException e;
        try (DeviceSession session = Devices.byId("jvm").open()) {
            DeviceBuffer buffer = session.allocate(host);
            e = assertThrows(KernelFaultException.class, () -> session.launch(session.compile(k),
                    new LaunchGrid(new long[] {64}, new long[] {16}), new Object[] {buffer}));
        }
        assertEquals("JvmTestKernels.failBeforeBarrier", e.kernel(), e.getMessage());
        assertEquals("a", e.array(), e.getMessage());
        assertEquals(64, e.length(), e.getMessage());
    }

    /** As above: a barrier waiting for items that returned would hang, and the timeout fails it. */
    @Test
    @Timeout(value = 1, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void itemsThatReturnEarlyLeaveTheBarrier() throws Exception {
        Kernel k = kernel("halfLeaveEarly");
        FloatArray host = new FloatArray(32);
        try (DeviceSession session = Devices.byId("jvm").open()) {
            DeviceBuffer buffer = session.allocate(host);
            session.copyToDevice(host.getSegment(), buffer);
            session.launch(session.compile(k), new LaunchGrid(new long[] {32}, new long[] {8}),
                    new Object[] {buffer});
            session.copyToHost(buffer, host.getSegment());
            session.finish();
        }
        for (int i = 0; i < 32; i++) {
            assertEquals(i % 2 == 0 ? 1f : 0f, host.get(i), "element " + i);
        }
    }
}
