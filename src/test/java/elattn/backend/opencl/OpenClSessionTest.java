package elattn.backend.opencl;

import static elattn.testing.HostArrays.randomFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.NativeArray;
import elattn.runtime.DeviceBuffer;
import elattn.runtime.DeviceOutOfMemoryException;
import elattn.runtime.DeviceSession.CompiledKernel;
import elattn.runtime.DeviceSession.Launch;
import elattn.runtime.KernelBuildException;
import elattn.runtime.LaunchGrid;
import elattn.testing.DeviceArrays;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The session's memory, error and threading behaviour on a real OpenCL device (PoCL on CI);
 * {@link CompiledKernelTest} runs compiled kernels against plain Java.
 */
class OpenClSessionTest {
    private OpenClSession session;

    @BeforeEach
    void open() {
        session = OpenClTestDevices.open();
    }

    @AfterEach
    void close() {
        if (session != null) { // null when open() skipped the test: no OpenCL device
            session.close();
        }
    }

    private CompiledKernel vectorAdd() {
        return session.compile(CompiledKernelTest.kernel("vectorAdd"));
    }

    private DeviceBuffer upload(NativeArray array) {
        return DeviceArrays.upload(session, array);
    }

    @Test
    void buffersRoundTripEveryElementType() {
        Random random = new Random(1);
        FloatArray floats = randomFloats(random, 1001);
        IntArray ints = new IntArray(77);
        for (int i = 0; i < ints.getSize(); i++) {
            ints.set(i, random.nextInt());
        }
        HalfFloatArray halves = HalfFloatArray.fromArray(1.5f, -2.25f, 65504f, 0.000061035156f, 3.14159f);
        for (NativeArray array : List.of(floats, ints, halves, new FloatArray(0))) {
            DeviceBuffer buffer = upload(array);
            assertEquals(array.getNumBytes(), buffer.byteSize());
            assertEquals(array.getSize(), buffer.length());
            NativeArray back = switch (array) {
                case FloatArray f -> new FloatArray(f.getSize());
                case IntArray i -> new IntArray(i.getSize());
                case HalfFloatArray h -> new HalfFloatArray(h.getSize());
            };
            session.copyToHost(buffer, back.getSegment());
            session.finish();
            assertEquals(-1, back.getSegment().mismatch(array.getSegment()), "round trip of " + array);
        }
    }

    @Test
    void emptyRangeLaunchesNothing() {
        FloatArray empty = new FloatArray(0);
        DeviceBuffer e = session.allocate(empty);
        Launch launch = session.launch(vectorAdd(), new LaunchGrid(new long[] {0}, null), new Object[] {e, e, e});
        session.finish();
        assertEquals(0, launch.elapsedNanos());
    }

    @Test
    void launchTimeIsKnownOnlyAfterFinish() {
        FloatArray a = randomFloats(new Random(6), 64);
        DeviceBuffer buffer = upload(a);
        Launch launch = session.launch(vectorAdd(), new LaunchGrid(new long[] {64}, null),
                new Object[] {buffer, buffer, session.allocate(a)});
        assertThrows(IllegalStateException.class, launch::elapsedNanos);
        session.finish();
        assertTrue(launch.elapsedNanos() >= 0);
    }

    @Test
    void sourceThatDoesNotBuildGivesTheCompilerLog() {
        String broken = "__kernel void broken(__global float* a, int aLength) { a[0] = undeclaredThing; }";
        KernelBuildException e = assertThrows(KernelBuildException.class,
                () -> session.compileSource("broken", broken, List.of(FloatArray.class), false));
        assertTrue(e.buildLog().contains("undeclaredThing"), e.buildLog());
        assertTrue(e.getMessage().contains("broken") && e.getMessage().contains(session.device().id()), e.getMessage());
    }

    @Test
    void allocationLargerThanTheDeviceAllowsIsOutOfMemory() {
        long max = session.device().maxAllocationBytes();
        long bytes = (max / Float.BYTES + 1) * Float.BYTES;
        org.junit.jupiter.api.Assumptions.assumeTrue(bytes / Float.BYTES <= Integer.MAX_VALUE,
                "the device allows buffers larger than any array");
        // Only the length and type of the array matter to allocate(): a view of no real memory will do.
        FloatArray huge = FloatArray.fromSegment(MemorySegment.NULL.reinterpret(bytes));
        DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> session.allocate(huge));
        assertTrue(e.getMessage().contains("CL_DEVICE_MAX_MEM_ALLOC_SIZE"), e.getMessage());
    }

    @Test
    void wrongArgumentsAreRejectedWithTheirPosition() {
        FloatArray a = new FloatArray(4);
        DeviceBuffer buffer = session.allocate(a);
        DeviceBuffer ints = session.allocate(new IntArray(4));
        LaunchGrid grid = new LaunchGrid(new long[] {4}, null);
        var wrongType = assertThrows(IllegalArgumentException.class,
                () -> session.launch(vectorAdd(), grid, new Object[] {buffer, ints, buffer}));
        assertTrue(wrongType.getMessage().contains("argument 1"), wrongType.getMessage());
        assertThrows(IllegalArgumentException.class, () -> session.launch(vectorAdd(), grid, new Object[] {buffer, buffer}));
        assertThrows(IllegalArgumentException.class,
                () -> session.copyToDevice(MemorySegment.ofArray(new float[4]), buffer));
        // A buffer of another session in the device's context is an argument like its own (SharedBuffers).
        try (OpenClSession other = OpenClTestDevices.open()) {
            DeviceBuffer neighbour = other.allocate(a);
            session.launch(vectorAdd(), grid, new Object[] {buffer, buffer, neighbour});
            session.finish();
        }
    }

    @Test
    void sessionWorksFromAnotherThread() throws Exception {
        FloatArray a = randomFloats(new Random(7), 300);
        FloatArray c = new FloatArray(300);
        try (ExecutorService other = Executors.newSingleThreadExecutor()) {
            other.submit(() -> {
                DeviceBuffer in = upload(a);
                DeviceBuffer out = session.allocate(c);
                session.launch(vectorAdd(), new LaunchGrid(new long[] {300}, null), new Object[] {in, in, out});
                session.copyToHost(out, c.getSegment());
                session.finish();
            }).get();
        }
        for (int i = 0; i < 300; i++) {
            assertEquals(a.get(i) * 2, c.get(i));
        }
    }

    @Test
    void closedSessionRefusesWork() {
        session.close();
        assertThrows(IllegalStateException.class, () -> session.allocate(new FloatArray(1)));
        session.close();
    }

}
