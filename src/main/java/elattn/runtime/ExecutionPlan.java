package elattn.runtime;

import elattn.kernel.NativeArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs task graphs on one device and owns their device memory. Buffers are allocated on first use
 * and kept until {@link #close()}, keyed by array identity across all graphs of the plan, so
 * {@link DataTransferMode#FIRST_EXECUTION} data (weights, encoder states) crosses the bus once,
 * kernels' writes persist from one execute to the next, and graphs of one plan share arrays
 * ({@link TaskGraph#persistOnDevice}/{@link TaskGraph#consumeFromDevice}).
 *
 * <p>Each execute enqueues its copies and launches on the device's in-order queue and waits once,
 * at the end. Arrays that no graph of the plan transfers to the device are copied in when they are
 * first placed on the device, except {@linkplain NativeArray#isDeviceResident device-resident}
 * ones, whose buffers start as zeros on the device (no bytes cross the bus). Scalars given as {@link IntParam}/{@link LongParam}/{@link FloatParam}
 * and {@link WorkerGrid}s are read at every execute. A plan is used by one thread at a time.
 *
 * <pre>{@code
 * try (ExecutionPlan plan = new ExecutionPlan(graph).withDevice(Devices.byId("opencl:0"))) {
 *     for (int step = 0; step < n; step++) {
 *         position.set(step);
 *         ExecutionResult r = plan.execute();
 *     }
 * }
 * }</pre>
 */
public final class ExecutionPlan implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutionPlan.class);
    /** The listener of {@link #observe}, bound for the work it runs. */
    private static final ScopedValue<ExecutionListener> LISTENER = ScopedValue.newInstance();

    /** A task's launch in one execute; {@code launch} is null when its range was empty. */
    private record TaskLaunch(String task, DeviceSession.Launch launch) {
    }

    private final List<ImmutableTaskGraph> graphs;
    private final Map<String, TaskSpec> tasks = new LinkedHashMap<>();
    private final Map<String, WorkerGrid> grids = new HashMap<>();
    private final Map<NativeArray, DeviceBuffer> buffers = new IdentityHashMap<>();
    private final Map<Kernel, DeviceSession.CompiledKernel> compiled = new HashMap<>();
    private final Set<String> executedGraphs = new HashSet<>();
    /** Arrays some graph of the plan transfers to the device (placed by a copy even if device-resident). */
    private final Set<NativeArray> sentToDevice = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Bytes of device memory the plan's buffers hold (they are freed only by {@link #close()}). */
    private long allocatedBytes;
    /** Time spent building kernels during the current execute. */
    private long buildNanos;
    private Device device;
    private boolean kernelChecks = KernelChecks.byDefault();
    /** Whether executes time their launches: on, off, or null for {@link #profiled()}'s default. */
    private Boolean profiler;
    /** Whether each graph's launches go to the device as one recorded sequence ({@link #withCudaGraph}). */
    private boolean recordLaunches;
    private DeviceSession session;
    /** Arrays whose buffers this plan takes from outside ({@link #withSharedBuffers}), or null. */
    private SharedBuffers shared;
    private boolean closed;

    /** A plan running these graphs, in this order for {@link #execute()}. */
    public ExecutionPlan(ImmutableTaskGraph... graphs) {
        if (graphs.length == 0) {
            throw new ElattnRuntimeException("an execution plan needs at least one task graph");
        }
        this.graphs = List.of(graphs);
        Set<String> names = new HashSet<>();
        for (ImmutableTaskGraph g : this.graphs) {
            if (!names.add(g.getName())) {
                throw new ElattnRuntimeException("two task graphs of one execution plan are both named " + g.getName());
            }
            g.tasks().forEach(t -> tasks.put(t.qualifiedName(), t));
            g.toDevice().forEach(t -> sentToDevice.add(t.array()));
        }
        for (ImmutableTaskGraph g : this.graphs) {
            for (NativeArray a : g.consumed()) {
                boolean persisted = this.graphs.stream().anyMatch(h -> h != g && h.persisted().contains(a));
                if (!persisted) {
                    throw new ElattnRuntimeException("graph " + g.getName() + " consumes " + a + " from the device,"
                            + " but no other graph of this plan persists it: call persistOnDevice on the graph that"
                            + " produces it and put both graphs in one ExecutionPlan");
                }
            }
        }
    }

    /** Runs on this device instead of {@link Devices#defaultDevice()}; only before the first execute. */
    public ExecutionPlan withDevice(Device newDevice) {
        Objects.requireNonNull(newDevice, "device");
        if (session != null) {
            throw new ElattnRuntimeException("withDevice must be called before the first execute: this plan already"
                    + " holds its buffers on " + device.id());
        }
        this.device = newDevice;
        return this;
    }

    /**
     * Takes the buffers of the arrays {@code buffers} shares from it instead of placing them itself:
     * they are copied to the device once for every plan that uses the same object, and this plan's
     * {@link #close()} leaves them (see {@link SharedBuffers}); {@link #getAllocatedBytes()} does not
     * count them. Only before the first execute, on the shared buffers' device.
     */
    public ExecutionPlan withSharedBuffers(SharedBuffers buffers) {
        Objects.requireNonNull(buffers, "buffers");
        if (session != null) {
            throw new ElattnRuntimeException("withSharedBuffers must be called before the first execute: this plan"
                    + " already holds its buffers on " + device.id());
        }
        this.shared = buffers;
        return this;
    }

    /**
     * Builds the plan's kernels with index checks (on) or without (off) instead of as
     * {@link KernelChecks} says; only before the first execute. With checks, an index out of range
     * in a kernel fails the execute with a {@link KernelFaultException} naming the task, kernel,
     * array, index and source line (on the jvm device every kernel is checked either way).
     */
    public ExecutionPlan withKernelChecks(boolean on) {
        if (session != null) {
            throw new ElattnRuntimeException("withKernelChecks must be called before the first execute: this plan"
                    + " has built its kernels on " + device.id());
        }
        this.kernelChecks = on;
        return this;
    }

    /**
     * Times every launch on the device (per-task kernel times in each {@link ExecutionResult}).
     * Without the profiler a launch records no device events, which on a GPU is about half its host
     * cost; by default the profiler is on only while an {@link #observe} listener receives the
     * results, or debug logging of this class is on.
     */
    public ExecutionPlan withProfiler() {
        this.profiler = true;
        return this;
    }

    /** Launches without timing even under {@link #observe} (see {@link #withProfiler()}). */
    public ExecutionPlan withoutProfiler() {
        this.profiler = false;
        return this;
    }

    /**
     * Launches each task graph's kernels as one unit where the backend can: on CUDA, the graph's
     * launches are recorded as a CUDA graph at its first execute and replayed at the next ones,
     * their grids and scalar arguments updated in place when they change (as TornadoVM's
     * {@code withCUDAGraph}); a task whose range becomes empty, or appears again, makes another
     * recording. Other backends launch one by one as before. Executes with the
     * {@linkplain #withProfiler() profiler} on launch one by one, to time each task. Only before
     * the first execute.
     */
    public ExecutionPlan withCudaGraph() {
        if (session != null) {
            throw new ElattnRuntimeException("withCudaGraph must be called before the first execute");
        }
        this.recordLaunches = true;
        return this;
    }

    private boolean profiled() {
        if (profiler != null) {
            return profiler;
        }
        return LISTENER.isBound() && LISTENER.get().timesKernels() || LOG.isDebugEnabled();
    }

    /** The device this plan runs on (the default device unless {@link #withDevice} chose one). */
    public Device getDevice() {
        if (device == null) {
            device = Devices.defaultDevice();
        }
        return device;
    }

    /**
     * Sets the launch grid of a work-group ({@code KernelContext}) task, named {@code graph.task}.
     * The grid is read at every execute, so changing its sizes later takes effect at the next one.
     */
    public ExecutionPlan withGrid(String qualifiedTaskName, WorkerGrid grid) {
        Objects.requireNonNull(grid, "grid");
        TaskSpec task = tasks.get(qualifiedTaskName);
        if (task == null) {
            throw new ElattnRuntimeException("withGrid: this plan has no task " + qualifiedTaskName
                    + "; its tasks are " + tasks.keySet());
        }
        if (!task.kernel().usesContext()) {
            throw new ElattnRuntimeException("withGrid: task " + task + " is a @Parallel kernel, whose launch range"
                    + " comes from its loops; grids are for KernelContext kernels");
        }
        grids.put(qualifiedTaskName, grid);
        return this;
    }

    /**
     * Runs {@code work} on this thread with {@code listener} receiving the {@link ExecutionResult}
     * of every execute of every plan that {@code work} runs, directly or through library code that
     * keeps its plans private (a {@code DeviceModel}): how a benchmark or profiler sees per-task
     * times, build times and device memory. Listeners nest: the innermost one receives.
     */
    public static <T, X extends Throwable> T observe(ExecutionListener listener,
            ScopedValue.CallableOp<? extends T, X> work) throws X {
        return ScopedValue.where(LISTENER, Objects.requireNonNull(listener, "listener")).call(work);
    }

    /**
     * Bytes of device memory this plan's buffers hold now (weights, caches, scratch: every array an
     * execute has put on the device; 0 before the first execute and once closed). Kernels and the
     * driver's own allocations are not counted.
     */
    public long getAllocatedBytes() {
        return allocatedBytes;
    }

    /** Runs every graph of the plan, in order, and waits for the device. */
    public ExecutionResult execute() {
        return run(graphs);
    }

    /** Runs one graph of the plan and waits for the device. */
    public ExecutionResult execute(String graphName) {
        for (ImmutableTaskGraph g : graphs) {
            if (g.getName().equals(graphName)) {
                return run(List.of(g));
            }
        }
        throw new ElattnRuntimeException("this plan has no task graph " + graphName + "; its graphs are "
                + graphs.stream().map(ImmutableTaskGraph::getName).toList());
    }

    /** Frees the plan's device memory and compiled kernels; the plan cannot execute afterwards. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        buffers.clear();
        allocatedBytes = 0;
        compiled.clear();
        if (session != null) {
            session.close();
        }
    }

    private ExecutionResult run(List<ImmutableTaskGraph> toRun) {
        openSession();
        buildNanos = 0;
        boolean timed = profiled();
        long start = System.nanoTime();
        long[] bytes = new long[2]; // to device, to host
        List<TaskLaunch> launches = new ArrayList<>();
        for (ImmutableTaskGraph g : toRun) {
            enqueue(g, bytes, launches, timed);
        }
        Supplier<String> finishing = () -> "finishing graphs "
                + toRun.stream().map(ImmutableTaskGraph::getName).toList();
        try {
            onDevice(finishing, () -> {
                session.finish();
                return null;
            });
        } catch (KernelFaultException e) {
            String where = launches.stream().filter(l -> l.launch() != null && l.launch() == e.launch()).findFirst()
                    .map(l -> where(tasks.get(l.task()))).orElseGet(finishing);
            throw new KernelFaultException(where + " on device " + device.id(), e);
        }
        long wall = System.nanoTime() - start;
        for (ImmutableTaskGraph g : toRun) {
            executedGraphs.add(g.getName());
        }
        Map<String, Long> times = timed ? new LinkedHashMap<>() : null;
        int launched = 0;
        for (TaskLaunch l : launches) {
            launched += l.launch() == null ? 0 : 1;
            if (timed) {
                times.put(l.task(), l.launch() == null ? 0L : l.launch().elapsedNanos());
            }
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("executed {} on {}: {} us wall, {} B to device, {} B to host, task ns {}",
                    toRun.stream().map(ImmutableTaskGraph::getName).toList(), device.id(), wall / 1000, bytes[0],
                    bytes[1], times);
        }
        ExecutionResult result = new ExecutionResult(this, toRun.stream().map(ImmutableTaskGraph::getName).toList(),
                times, launched, bytes[0], bytes[1], wall, buildNanos, allocatedBytes);
        if (LISTENER.isBound()) {
            LISTENER.get().executed(result);
        }
        return result;
    }

    private void openSession() {
        if (closed) {
            throw new ElattnRuntimeException("this execution plan is closed; build a new one");
        }
        if (session == null) {
            Device d = getDevice();
            if (shared != null && !shared.getDevice().id().equals(d.id())) {
                throw new ElattnRuntimeException("this plan runs on " + d.id() + " but its shared buffers are on "
                        + shared.getDevice().id() + ": use shared buffers of the plan's device");
            }
            session = onDevice("opening a session", d::open);
            LOG.debug("execution plan {} runs on {} ({})", graphs.stream().map(ImmutableTaskGraph::getName).toList(),
                    d.id(), d.name());
        }
    }

    private void enqueue(ImmutableTaskGraph g, long[] bytes, List<TaskLaunch> launches, boolean timed) {
        for (TaskSpec t : g.tasks()) {
            if (!compiled.containsKey(t.kernel())) {
                long buildStart = System.nanoTime();
                compiled.put(t.kernel(), onDevice(() -> where(t) + ": building the kernel",
                        () -> session.compile(t.kernel(), kernelChecks)));
                buildNanos += System.nanoTime() - buildStart;
            }
        }
        Set<NativeArray> placedNow = Collections.newSetFromMap(new IdentityHashMap<>());
        for (NativeArray a : g.arrays()) {
            if (buffers.containsKey(a)) {
                continue;
            }
            if (g.consumed().contains(a)) {
                throw new ElattnRuntimeException("graph " + g.getName() + " consumes " + a + " from the device, but"
                        + " it is not there yet: execute the graph that persists it first");
            }
            if (shared != null && shared.contains(a)) {
                buffers.put(a, onDevice(() -> "graph " + g.getName() + ": placing shared " + a, () -> shared.buffer(a)));
                placedNow.add(a);
                continue;
            }
            DeviceBuffer buffer = onDevice(() -> "graph " + g.getName() + ": allocating " + a,
                    () -> session.allocate(a));
            buffers.put(a, buffer);
            allocatedBytes += buffer.byteSize();
            if (a.isDeviceResident() && !sentToDevice.contains(a)) {
                onDevice(() -> "graph " + g.getName() + ": zero-filling " + a, () -> {
                    session.fillZero(buffer);
                    return null;
                });
            } else {
                bytes[0] += copyToDevice(g, a);
            }
            placedNow.add(a);
        }
        for (ImmutableTaskGraph.Transfer t : g.toDevice()) {
            if (t.mode() == DataTransferMode.EVERY_EXECUTION && shared != null && shared.contains(t.array())) {
                throw new ElattnRuntimeException("graph " + g.getName() + " transfers " + t.array() + " to the device"
                        + " at every execute, but it is a shared buffer (read-only for the plans that share it)");
            }
            if (t.mode() == DataTransferMode.EVERY_EXECUTION && !placedNow.contains(t.array())) {
                bytes[0] += copyToDevice(g, t.array());
            }
        }
        if (recordLaunches && !timed && session.recordsSequences()) {
            launchRecorded(g, launches);
        } else {
            for (TaskSpec t : g.tasks()) {
                launches.add(new TaskLaunch(t.qualifiedName(), launch(t, timed)));
            }
        }
        boolean first = !executedGraphs.contains(g.getName());
        for (ImmutableTaskGraph.Transfer t : g.toHost()) {
            if (t.mode() == DataTransferMode.EVERY_EXECUTION || (t.mode() == DataTransferMode.FIRST_EXECUTION && first)) {
                NativeArray a = t.array();
                DeviceBuffer buffer = buffers.get(a);
                onDevice(() -> "graph " + g.getName() + ": copying " + a + " to the host", () -> {
                    session.copyToHost(buffer, a.getSegment());
                    return null;
                });
                bytes[1] += buffer.byteSize();
            }
        }
    }

    private long copyToDevice(ImmutableTaskGraph g, NativeArray a) {
        DeviceBuffer buffer = buffers.get(a);
        onDevice(() -> "graph " + g.getName() + ": copying " + a + " to the device", () -> {
            session.copyToDevice(a.getSegment(), buffer);
            return null;
        });
        return buffer.byteSize();
    }

    /** Enqueues one task with its current scalar values and grid; null when its range is empty. */
    private DeviceSession.Launch launch(TaskSpec task, boolean timed) {
        Object[] current = task.currentArgs();
        LaunchGrid grid = launchGrid(task, current);
        if (grid.totalItems() == 0) {
            return null;
        }
        Object[] deviceArgs = deviceArguments(current);
        DeviceSession.CompiledKernel kernel = compiled.get(task.kernel());
        try {
            return onDevice(() -> where(task) + ": launching with " + grid,
                    () -> session.launch(kernel, grid, deviceArgs, timed));
        } catch (KernelFaultException e) {
            throw new KernelFaultException(where(task) + " on device " + device.id(), e);
        }
    }

    /**
     * Enqueues the graph's launches as one {@link DeviceSession#launchSequence sequence} (tasks with
     * empty ranges left out).
     */
    private void launchRecorded(ImmutableTaskGraph g, List<TaskLaunch> launches) {
        List<DeviceSession.LaunchRequest> requests = new ArrayList<>(g.tasks().size());
        List<TaskSpec> launched = new ArrayList<>(g.tasks().size());
        for (TaskSpec task : g.tasks()) {
            Object[] current = task.currentArgs();
            LaunchGrid grid = launchGrid(task, current);
            if (grid.totalItems() == 0) {
                continue;
            }
            requests.add(new DeviceSession.LaunchRequest(compiled.get(task.kernel()), grid, deviceArguments(current)));
            launched.add(task);
        }
        List<DeviceSession.Launch> done = onDevice(() -> "graph " + g.getName() + ": launching its " + requests.size()
                + " kernels as one sequence", () -> session.launchSequence(g, requests));
        int next = 0;
        for (TaskSpec task : g.tasks()) {
            boolean ran = next < launched.size() && launched.get(next) == task;
            launches.add(new TaskLaunch(task.qualifiedName(), ran ? done.get(next++) : null));
        }
    }

    /** A task's current arguments with each array replaced by its device buffer. */
    private Object[] deviceArguments(Object[] current) {
        Object[] deviceArgs = new Object[current.length];
        for (int i = 0; i < current.length; i++) {
            deviceArgs[i] = current[i] instanceof NativeArray a ? buffers.get(a) : current[i];
        }
        return deviceArgs;
    }

    /** How errors name a task: graph, task and kernel. */
    private static String where(TaskSpec task) {
        return "graph " + task.graph() + ", task " + task.name() + " (" + task.kernel().name() + ")";
    }

    private LaunchGrid launchGrid(TaskSpec task, Object[] current) {
        if (!task.kernel().usesContext()) {
            long[] range;
            try {
                range = task.kernel().jvm().range(current);
            } catch (RuntimeException e) {
                throw new ElattnRuntimeException(where(task) + ": cannot evaluate the range of its @Parallel loops: "
                        + e, e);
            }
            return new LaunchGrid(range, null);
        }
        WorkerGrid grid = grids.get(task.qualifiedName());
        if (grid == null) {
            throw new ElattnRuntimeException(where(task) + " is a KernelContext kernel and needs a launch grid: call"
                    + " plan.withGrid(\"" + task.qualifiedName() + "\", new WorkerGrid1D(n).setLocalWork(groupSize))");
        }
        long[] global = grid.getGlobalWork();
        long[] local = grid.getLocalWork();
        if (local == null && task.kernel().needsGroupSize()) {
            throw new ElattnRuntimeException(where(task) + ": its grid " + grid + " has no local work size; call"
                    + " setLocalWork on it (this kernel synchronises its work-groups or shares local memory, so its"
                    + " work-group size must be the one it was written for)");
        }
        if (local == null) {
            local = defaultLocalWork(global);
        }
        for (int d = 0; d < global.length; d++) {
            if (global[d] % local[d] != 0) {
                throw new ElattnRuntimeException(where(task) + ": global work " + Arrays.toString(global)
                        + " is not a multiple of local work " + Arrays.toString(local) + " in dimension " + d);
            }
        }
        return new LaunchGrid(global, local);
    }

    /** Most work items of a work-group the runtime picks ({@link #defaultLocalWork}). */
    static final long DEFAULT_GROUP_ITEMS = 256;

    /**
     * The work-group size of a {@code KernelContext} task whose grid has none (TornadoVM picks one
     * too): per dimension, x first, the largest power of two that divides the global size and keeps
     * the group within {@link #DEFAULT_GROUP_ITEMS} items.
     */
    static long[] defaultLocalWork(long[] global) {
        long[] local = new long[global.length];
        long room = DEFAULT_GROUP_ITEMS;
        for (int d = 0; d < global.length; d++) {
            long size = 1;
            while (size * 2 <= room && global[d] % (size * 2) == 0) {
                size *= 2;
            }
            local[d] = size;
            room /= size;
        }
        return local;
    }

    /** Copies arrays held on the device back to their host arrays now; returns the bytes copied. */
    long copyToHost(NativeArray... arrays) {
        if (closed || session == null) {
            throw new ElattnRuntimeException("transferToHost: the plan is " + (closed ? "closed" : "not started")
                    + "; read results before closing the plan");
        }
        long bytes = 0;
        for (NativeArray a : arrays) {
            DeviceBuffer buffer = buffers.get(a);
            if (buffer == null) {
                throw new ElattnRuntimeException("transferToHost: " + a + " is not on " + device.id()
                        + ": no graph of this plan executed so far uses it");
            }
            onDevice("copying " + a + " to the host", () -> {
                session.copyToHost(buffer, a.getSegment());
                return null;
            });
            bytes += buffer.byteSize();
        }
        onDevice("finishing on-demand copies", () -> {
            session.finish();
            return null;
        });
        return bytes;
    }

    /**
     * Runs a backend call, naming what was done and on which device if it fails; out-of-memory and
     * build failures keep their type so callers can react to them (smaller batch, other device);
     * kernel faults are passed on as they are, for the caller to name the task.
     */
    private <T> T onDevice(String what, Supplier<T> call) {
        return onDevice(() -> what, call);
    }

    /** {@link #onDevice(String, Supplier)} with the description made only if the call fails. */
    private <T> T onDevice(Supplier<String> what, Supplier<T> call) {
        try {
            return call.get();
        } catch (KernelFaultException e) {
            throw e;
        } catch (DeviceOutOfMemoryException e) {
            throw new DeviceOutOfMemoryException(what.get() + " on device " + getDevice().id(), e);
        } catch (KernelBuildException e) {
            throw new KernelBuildException(what.get() + " on device " + getDevice().id(), e);
        } catch (RuntimeException e) {
            throw new ElattnRuntimeException(what.get() + " on device " + getDevice().id() + " failed: "
                    + e.getMessage(), e);
        }
    }
}
