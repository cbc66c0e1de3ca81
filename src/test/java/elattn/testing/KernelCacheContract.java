package elattn.testing;

import static elattn.testing.HostArrays.gaussianFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.kernel.FloatArray;
import elattn.runtime.DataTransferMode;
import elattn.runtime.Device;
import elattn.runtime.DeviceBuffer;
import elattn.runtime.DeviceSession;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.Kernel;
import elattn.runtime.KernelBinaryCache;
import elattn.runtime.LaunchGrid;
import elattn.runtime.RuntimeTestKernels;
import elattn.runtime.TaskGraph;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a GPU backend's kernel cache must do, run by each backend's test class on its device: a
 * kernel is built once per device and process, whatever the sessions; a new process (here: a fresh
 * in-process cache over the same folder) loads it from disk; a damaged or refused entry is rebuilt
 * and rewritten; without a cache, or with a folder it cannot write, kernels still build and run.
 * Every run's result is checked against the kernel run as Java.
 */
public abstract class KernelCacheContract {
    private static final Kernel ADD = Kernel.of(Arrays.stream(RuntimeTestKernels.class.getMethods())
            .filter(m -> m.getName().equals("add")).findFirst().orElseThrow());

    /**
     * A backend's in-process kernel cache on the test device, with the disk cache it was given.
     *
     * @param sessions opens a session that takes its kernels from this cache
     * @param builds how many kernels the device's compiler compiled for it
     * @param diskLoads how many it loaded from the disk cache instead
     */
    public record DeviceKernels(Supplier<DeviceSession> sessions, IntSupplier builds, IntSupplier diskLoads) {
        DeviceSession open() {
            return sessions.get();
        }

        /** Builds and disk loads, in that order. */
        List<Integer> counts() {
            return List.of(builds.getAsInt(), diskLoads.getAsInt());
        }
    }

    /** The device under test; skips the test where there is none. */
    protected abstract Device device();

    /**
     * The device under test as a new process would find it (from a new backend), with no kernel in
     * its in-process cache, and with the disk cache the settings name.
     */
    protected abstract Device rediscovered();

    /** The cache that {@code device}'s own sessions (and so execution plans) take their kernels from. */
    protected abstract DeviceKernels kernelsOf(Device device);

    /** A new in-process cache on the device over {@code disk}: what a new process starts with. */
    protected abstract DeviceKernels fresh(KernelBinaryCache disk);

    @Test
    void aSecondPlanOnTheDeviceBuildsNothing() {
        FloatArray a = gaussianFloats(999, 1), b = gaussianFloats(999, 2), c = new FloatArray(999);
        TaskGraph graph = new TaskGraph("cache")
                .transferToDevice(DataTransferMode.EVERY_EXECUTION, a, b)
                .task("add", RuntimeTestKernels::add, a, b, c)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        Device device = rediscovered();
        DeviceKernels kernels = kernelsOf(device);
        try (ExecutionPlan first = new ExecutionPlan(graph.snapshot()).withDevice(device)) {
            first.execute();
        }
        List<Integer> afterFirst = kernels.counts();
        assertEquals(1, afterFirst.get(0) + afterFirst.get(1), "the first plan built or loaded one kernel: " + afterFirst);
        FloatArray expected = new FloatArray(999);
        RuntimeTestKernels.add(a, b, expected);
        c.getSegment().fill((byte) 0);
        // The first plan's session is closed: the kernel it left must outlive it.
        try (ExecutionPlan second = new ExecutionPlan(graph.snapshot()).withDevice(device)) {
            second.execute();
        }
        assertEquals(afterFirst, kernels.counts(), "the second plan built or loaded the kernel again");
        assertArrayEquals(expected.toHeapArray(), c.toHeapArray());
    }

    @Test
    void checkedAndPlainBuildsAreTwoKernels(@TempDir Path dir) throws IOException {
        DeviceKernels kernels = fresh(KernelBinaryCache.in(dir));
        try (DeviceSession session = kernels.open()) {
            runAdd(session, false);
            runAdd(session, true);
        }
        assertEquals(List.of(2, 0), kernels.counts());
        assertEquals(2, entries(dir).size());
        try (DeviceSession session = kernels.open()) {
            runAdd(session, true);
            runAdd(session, false);
        }
        assertEquals(List.of(2, 0), kernels.counts(), "a second session rebuilt a kernel");
    }

    @Test
    void aNewProcessLoadsTheKernelFromDisk(@TempDir Path dir) throws IOException {
        DeviceKernels first = fresh(KernelBinaryCache.in(dir));
        runAddOnce(first);
        assertEquals(List.of(1, 0), first.counts());
        List<Path> entries = entries(dir);
        assertEquals(1, entries.size(), entries.toString());
        assertTrue(entries.getFirst().getFileName().toString().startsWith(device().backendName() + "-"), entries.toString());

        DeviceKernels second = fresh(KernelBinaryCache.in(dir));
        runAddOnce(second);
        assertEquals(List.of(0, 1), second.counts());
    }

    @ParameterizedTest
    @ValueSource(strings = {"garbage", "truncated", "empty"})
    void aDamagedEntryIsRebuiltAndRewritten(String damage, @TempDir Path dir) throws IOException {
        runAddOnce(fresh(KernelBinaryCache.in(dir)));
        Path entry = entries(dir).getFirst();
        byte[] good = Files.readAllBytes(entry);
        byte[] bad = switch (damage) {
            case "garbage" -> {
                byte[] noise = new byte[good.length];
                new Random(3).nextBytes(noise);
                yield noise;
            }
            case "truncated" -> Arrays.copyOf(good, good.length / 2);
            default -> new byte[0];
        };
        Files.write(entry, bad);
        assertRebuiltAndRewritten(dir);
    }

    @Test
    void anEntryTheDriverRefusesIsRebuiltAndRewritten(@TempDir Path dir) throws IOException {
        runAddOnce(fresh(KernelBinaryCache.in(dir)));
        String key = entries(dir).getFirst().getFileName().toString().replace(".bin", "");
        // A well-formed entry (its SHA-256 matches) whose binary no driver can load.
        KernelBinaryCache.in(dir).write(key, "this is not a kernel binary".getBytes());
        assertRebuiltAndRewritten(dir);
    }

    @Test
    void withTheCacheOffEveryProcessBuilds() {
        for (int process = 0; process < 2; process++) {
            DeviceKernels kernels = fresh(KernelBinaryCache.off());
            runAddOnce(kernels);
            assertEquals(List.of(1, 0), kernels.counts());
        }
    }

    @Test
    void aFolderThatCannotBeWrittenCostsOnlyTheCache(@TempDir Path dir) throws IOException {
        Path notAFolder = Files.writeString(dir.resolve("a-file"), "in the way");
        for (int process = 0; process < 2; process++) {
            DeviceKernels kernels = fresh(KernelBinaryCache.in(notAFolder));
            runAddOnce(kernels);
            assertEquals(List.of(1, 0), kernels.counts());
        }
    }

    /** A new process finds the damaged entry in {@code dir}, builds the kernel, and leaves an entry the next one loads. */
    private void assertRebuiltAndRewritten(Path dir) throws IOException {
        DeviceKernels second = fresh(KernelBinaryCache.in(dir));
        runAddOnce(second);
        assertEquals(List.of(1, 0), second.counts(), "the damaged entry was not rebuilt");
        DeviceKernels third = fresh(KernelBinaryCache.in(dir));
        runAddOnce(third);
        assertEquals(List.of(0, 1), third.counts(), "the entry was not rewritten");
        assertEquals(1, entries(dir).size(), "temporary files left behind: " + entries(dir));
    }

    private void runAddOnce(DeviceKernels kernels) {
        try (DeviceSession session = kernels.open()) {
            runAdd(session, false);
        }
    }

    /** Builds {@link RuntimeTestKernels#add} in {@code session}, plain or checked, runs it, checks the sums. */
    private static void runAdd(DeviceSession session, boolean checked) {
        int n = 1000;
        FloatArray a = gaussianFloats(n, 1), b = gaussianFloats(n, 2), c = new FloatArray(n);
        FloatArray expected = new FloatArray(n);
        RuntimeTestKernels.add(a, b, expected);
        DeviceBuffer out = session.allocate(c);
        session.launch(session.compile(ADD, checked), new LaunchGrid(ADD.jvm().range(new Object[] {a, b, c}), null),
                new Object[] {DeviceArrays.upload(session, a), DeviceArrays.upload(session, b), out});
        session.copyToHost(out, c.getSegment());
        session.finish();
        assertArrayEquals(expected.toHeapArray(), c.toHeapArray(), checked ? "checked build" : "plain build");
    }

    /** Every file in {@code dir}: the cache's entries, and any temporary file it left. */
    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
