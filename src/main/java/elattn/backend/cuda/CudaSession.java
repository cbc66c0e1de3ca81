package elattn.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import elattn.compiler.DynamicLocalMemory;
import elattn.kernel.NativeArray;
import elattn.runtime.CheckedLaunches;
import elattn.runtime.DeviceBuffer;
import elattn.runtime.DeviceOutOfMemoryException;
import elattn.runtime.DeviceSession;
import elattn.runtime.ElattnRuntimeException;
import elattn.runtime.Kernel;
import elattn.runtime.LaunchArguments;
import elattn.runtime.LaunchGrid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Work on one CUDA device: the device's primary context, one stream that runs copies and kernels
 * in order, the buffers and modules of one execution plan, and a pair of events around each launch
 * for its time.
 *
 * <p>Every public method first makes the context current on the calling thread, so a session may
 * be opened on one thread and used on another (one at a time; the methods are synchronized).
 * Kernels come from the device's {@link CudaModules}, which compile each once per process (or load
 * it from the disk cache) and keep the modules loaded after the session closes.
 */
final class CudaSession implements DeviceSession {
    private static final Logger LOG = LoggerFactory.getLogger(CudaSession.class);
    /** The most recorded sequences kept; past it, all are dropped and recorded again as they come. */
    private static final int MAX_GRAPHS = 32;

    private final CudaDevice device;
    private final CudaDriver cu;
    private final String where;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final List<CudaBuffer> buffers = new ArrayList<>();
    /** Recorded launch sequences ({@link #launchSequence}). */
    private final Map<GraphKey, CudaGraph> graphs = new HashMap<>();
    /** Where each launch writes its arguments ({@link #parameters}). */
    private final LaunchArgumentBlock launchArguments = new LaunchArgumentBlock();
    private final CudaModules modules;
    private final Map<Object, CudaKernel> kernels = new HashMap<>();
    private final ArrayDeque<MemorySegment> idleEvents = new ArrayDeque<>();
    private final List<CudaLaunch> unfinished = new ArrayList<>();
    private final CudaFaultRecord faultRecord;
    private final CheckedLaunches checkedLaunches = new CheckedLaunches();
    private String lastKernel = "none yet";
    /** Set when a kernel faulted: the context then fails every call for the rest of the process. */
    private boolean faulted;
    private boolean closed;

    CudaSession(CudaDevice device) {
        this(device, device.modules());
    }

    /** A session whose kernels come from {@code modules} (tests give it a cache of their own). */
    CudaSession(CudaDevice device, CudaModules modules) {
        this.device = device;
        this.modules = modules;
        this.cu = device.driver();
        this.where = device.toString();
        this.context = cu.primaryContextRetain(device.handle(), where);
        try {
            cu.setCurrentContext(context, where);
            this.stream = cu.streamCreate(where);
        } catch (CudaException e) {
            cu.primaryContextRelease(device.handle(), where);
            throw e;
        }
        this.faultRecord = new CudaFaultRecord(cu, stream, where);
    }

    /** The cache key of a kernel built from a {@link Kernel}: with its index checks on or off. */
    private record Built(Kernel kernel, boolean checked) {
    }

    @Override
    public CudaDevice device() {
        return device;
    }

    @Override
    public synchronized DeviceBuffer allocate(NativeArray like) {
        return allocate(like.getNumBytes(), like.getSize(), like.getClass());
    }

    /** {@link #allocate(NativeArray)} without an array at hand (tests ask for more than any array holds). */
    synchronized CudaBuffer allocate(long bytes, int length, Class<? extends NativeArray> elementType) {
        makeCurrent();
        long address;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            // An empty array gets room for one element that no copy touches (a checked kernel's access
            // out of range is made at index 0 instead).
            int result = cu.memAlloc(out, Math.max(Float.BYTES, bytes));
            if (result == CudaDriver.CUDA_ERROR_OUT_OF_MEMORY) {
                throw new DeviceOutOfMemoryException(where, bytes, "cuMemAlloc: " + cu.errorName(result));
            }
            cu.check("cuMemAlloc(" + bytes + " bytes)", result, where);
            address = out.get(JAVA_LONG, 0);
        }
        CudaBuffer buffer = new CudaBuffer(this, address, bytes, length, elementType);
        buffers.add(buffer);
        return buffer;
    }

    @Override
    public synchronized void copyToDevice(MemorySegment src, DeviceBuffer dst) {
        makeCurrent();
        CudaBuffer buffer = own(dst);
        checkHost(src, buffer, "copyToDevice");
        if (buffer.byteSize() > 0) {
            cu.memcpyHtoDAsync(buffer.address(), src, buffer.byteSize(), stream, where);
        }
    }

    @Override
    public synchronized void copyToHost(DeviceBuffer src, MemorySegment dst) {
        makeCurrent();
        CudaBuffer buffer = own(src);
        checkHost(dst, buffer, "copyToHost");
        if (buffer.byteSize() > 0) {
            cu.memcpyDtoHAsync(dst, buffer.address(), buffer.byteSize(), stream, where);
        }
    }

    @Override
    public synchronized void fillZero(DeviceBuffer dst) {
        makeCurrent();
        CudaBuffer buffer = own(dst);
        if (buffer.byteSize() > 0) {
            cu.memsetD8Async(buffer.address(), (byte) 0, buffer.byteSize(), stream, where);
        }
    }

    @Override
    public synchronized CompiledKernel compile(Kernel kernel, boolean checked) {
        makeCurrent();
        Built key = new Built(kernel, checked);
        CudaKernel built = kernels.get(key);
        if (built == null) {
            built = build(kernel.name(), kernel.functionName(), kernel.cudaSource(), kernel.usesContext(), kernel,
                    checked);
            kernels.put(key, built);
        }
        return built;
    }

    /**
     * Builds hand-written CUDA C that follows the device C ABI, for kernels that do not come from
     * the kernel compiler (the backend's own tests). The result's {@link CompiledKernel#kernel()}
     * is null, and launches check arguments only against the ABI, not against a Java signature.
     */
    synchronized CompiledKernel compileSource(String name, String functionName, String cudaSource, boolean usesContext) {
        makeCurrent();
        String key = functionName + "\n" + cudaSource;
        CudaKernel built = kernels.get(key);
        if (built == null) {
            built = build(name, functionName, cudaSource, usesContext, null, false);
            kernels.put(key, built);
        }
        return built;
    }

    /**
     * The session's handle on a kernel of the device's {@link CudaModules}, which compile or load it
     * once per process. With {@code -Delattn.dumpKernels} the source is written first, so that it is
     * there when it does not compile, then the image the module was loaded from.
     */
    private CudaKernel build(String name, String functionName, String source, boolean usesContext, Kernel kernel,
            boolean checked) {
        dumpSource(name, source);
        CudaModules.Loaded loaded = modules.load(name, functionName, source, checked);
        dumpImage(name, loaded);
        return new CudaKernel(this, kernel, name, loaded.function(), usesContext, loaded.sharedBytes(),
                checked ? source : null);
    }

    private static void dumpSource(String name, String source) {
        dump(name + ".cu", source.getBytes(StandardCharsets.UTF_8));
    }

    private static void dumpImage(String name, CudaModules.Loaded loaded) {
        if (loaded.ptx() != null) {
            // Without the C string's terminating NUL.
            dump(name + ".ptx", Arrays.copyOf(loaded.ptx(), loaded.ptx().length - 1));
        }
        if (loaded.isCubin()) {
            dump(name + ".cubin", loaded.image());
        }
    }

    private static void dump(String fileName, byte[] content) {
        String dir = System.getProperty("elattn.dumpKernels");
        if (dir == null || dir.isBlank()) {
            return;
        }
        try {
            Files.write(Files.createDirectories(Path.of(dir)).resolve(fileName), content);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot dump kernel " + fileName + " into " + dir + " (-Delattn.dumpKernels)", e);
        }
    }

    @Override
    public synchronized Launch launch(CompiledKernel compiled, LaunchGrid grid, Object[] args, boolean timed) {
        makeCurrent();
        CudaKernel k = own(compiled);
        LaunchShape shape = shape(k, grid);
        CudaLaunch launch = new CudaLaunch(k.name, timed);
        if (shape.isEmpty()) {
            launch.elapsedNanos = 0;
            return launch;
        }
        MemorySegment params = parameters(k, args);
        if (timed) {
            launch.start = event();
            launch.end = event();
            unfinished.add(launch);
            cu.eventRecord(launch.start, stream, where);
        }
        int result = cu.launchKernel(k.function, shape.grid(), shape.block(), k.sharedBytes, stream, params);
        cu.check("cuLaunchKernel", result, where + ", kernel " + k.name + ", " + shape);
        if (timed) {
            cu.eventRecord(launch.end, stream, where);
        }
        if (k.checkedSource != null) {
            checkedLaunches.add(k.name, k.checkedSource, launch);
        }
        lastKernel = k.name;
        return launch;
    }

    @Override
    public boolean recordsSequences() {
        return true;
    }

    /**
     * Replays the CUDA graph recorded for this sequence key and these kernels, its nodes updated
     * where a grid or an argument changed; records it first if there is none ({@link CudaGraph}).
     */
    @Override
    public synchronized List<Launch> launchSequence(Object sequence, List<LaunchRequest> requests) {
        makeCurrent();
        List<CudaKernel> sequenceKernels = new ArrayList<>(requests.size());
        for (LaunchRequest r : requests) {
            sequenceKernels.add(own(r.kernel()));
        }
        if (requests.isEmpty()) {
            return List.of();
        }
        GraphKey key = new GraphKey(sequence, sequenceKernels);
        CudaGraph graph = graphs.get(key);
        boolean fresh = graph == null;
        if (fresh) {
            if (graphs.size() == MAX_GRAPHS) {
                destroyGraphs();
            }
            graph = new CudaGraph(cu, requests.size(), where);
        }
        List<Launch> launches = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            CudaKernel k = sequenceKernels.get(i);
            LaunchGrid grid = requests.get(i).grid();
            LaunchShape shape = shape(k, grid);
            if (shape.isEmpty()) {
                throw new IllegalArgumentException("kernel " + k.name + ": a launch sequence takes no empty grid ("
                        + grid + ")");
            }
            parameters(k, requests.get(i).args());
            graph.set(i, k.function, shape, k.sharedBytes, launchArguments);
            CudaLaunch launch = new CudaLaunch(k.name, false);
            if (k.checkedSource != null) {
                checkedLaunches.add(k.name, k.checkedSource, launch);
            }
            launches.add(launch);
        }
        if (fresh) {
            try {
                graph.instantiate();
            } catch (CudaException e) {
                graph.destroy();
                throw e;
            }
            graphs.put(key, graph);
        }
        graph.launch(stream);
        lastKernel = "the recorded sequence of " + requests.size() + " launches ending with "
                + sequenceKernels.getLast().name;
        return launches;
    }

    private CudaKernel own(CompiledKernel compiled) {
        if (!(compiled instanceof CudaKernel k) || k.session != this) {
            throw new IllegalArgumentException("kernel " + compiled.kernel() + " was not compiled by this session on "
                    + where);
        }
        return k;
    }

    /** The blocks and threads of a launch of {@code k} over {@code grid}. */
    private static LaunchShape shape(CudaKernel k, LaunchGrid grid) {
        if (k.usesContext && grid.local() == null) {
            throw new ElattnRuntimeException("kernel " + k.name + " takes a KernelContext and needs a launch grid"
                    + " with local (work-group) sizes; give the task a WorkerGrid");
        }
        return LaunchShape.of(grid, k.name);
    }

    /** A recorded sequence: the caller's key and the kernels in order. */
    private record GraphKey(Object sequence, List<CudaKernel> kernels) {
    }

    private void destroyGraphs() {
        cu.check("cuStreamSynchronize", cu.streamSynchronize(stream), where);
        for (CudaGraph g : graphs.values()) {
            g.destroy();
        }
        graphs.clear();
    }

    /**
     * The {@code void*[]} that {@code cuLaunchKernel} reads the arguments from, per the device C
     * ABI: each array as its device pointer followed by its {@code int} length, each scalar by
     * value ({@code int}, {@code long long}, {@code float}); for a checked kernel then the fault
     * record's address and the launch's number. Written into the session's {@link #launchArguments},
     * which the next launch overwrites: {@code cuLaunchKernel} has copied them when it returns.
     */
    private MemorySegment parameters(CudaKernel k, Object[] args) {
        if (k.kernel != null) {
            LaunchArguments.check(k.name, k.kernel.parameterTypes(), args);
        }
        int slots = args.length + (k.checkedSource != null ? 2 : 0);
        for (Object arg : args) {
            slots += arg instanceof DeviceBuffer ? 1 : 0;
        }
        launchArguments.reserve(slots);
        for (int i = 0; i < args.length; i++) {
            Object arg = args[i];
            switch (arg) {
                case DeviceBuffer b -> {
                    CudaBuffer buffer = inContext(b);
                    launchArguments.putLong(buffer.address());
                    launchArguments.putInt(buffer.length());
                }
                case Integer v -> launchArguments.putInt(v);
                case Long v -> launchArguments.putLong(v);
                case Float v -> launchArguments.putFloat(v);
                case null, default -> throw new IllegalArgumentException("kernel " + k.name + ": argument " + i + " is "
                        + arg + " but the kernel takes a DeviceBuffer, Integer, Long or Float");
            }
        }
        if (k.checkedSource != null) {
            launchArguments.putLong(faultRecord.address());
            launchArguments.putInt(checkedLaunches.next());
        }
        return launchArguments.pointers();
    }

    private MemorySegment event() {
        MemorySegment e = idleEvents.poll();
        return e != null ? e : cu.eventCreate(where);
    }

    @Override
    public synchronized void finish() {
        makeCurrent();
        int result = cu.streamSynchronize(stream);
        if (result != CudaDriver.CUDA_SUCCESS) {
            faulted = true;
            throw new ElattnRuntimeException("cuStreamSynchronize failed on " + where + ": " + cu.errorName(result)
                    + "; the last kernel launched was " + lastKernel + ". A kernel fault leaves the CUDA context"
                    + " unusable: close the session and restart the process (run the kernel on the jvm backend,"
                    + " or with compute-sanitizer, to find an out-of-bounds access)");
        }
        for (CudaLaunch launch : unfinished) {
            launch.elapsedNanos = Math.round(cu.eventElapsedMillis(launch.start, launch.end, where) * 1e6);
            idleEvents.add(launch.start);
            idleEvents.add(launch.end);
            launch.start = launch.end = null;
        }
        unfinished.clear();
        if (!checkedLaunches.isEmpty()) {
            checkedLaunches.check(faultRecord.take());
        }
    }

    /**
     * Frees everything and releases the primary context. Failures are logged, not thrown: after a
     * kernel fault, in one line (CUDA's errors from faults are sticky: every later call in the
     * process fails, new sessions included, until the process restarts).
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Runnable> steps = new ArrayList<>();
        steps.add(() -> cu.setCurrentContext(context, where));
        steps.add(() -> cu.check("cuStreamSynchronize", cu.streamSynchronize(stream), where));
        for (CudaGraph g : graphs.values()) {
            steps.add(g::destroy);
        }
        for (CudaBuffer b : buffers) {
            steps.add(() -> cu.memFree(b.address(), where));
        }
        steps.add(faultRecord::free);
        for (CudaLaunch l : unfinished) {
            idleEvents.add(l.start);
            idleEvents.add(l.end);
        }
        for (MemorySegment e : idleEvents) {
            steps.add(() -> cu.eventDestroy(e, where));
        }
        steps.add(() -> cu.streamDestroy(stream, where));
        steps.add(() -> cu.primaryContextRelease(device.handle(), where));
        int failures = 0;
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (CudaException e) {
                failures++;
                if (!faulted) {
                    LOG.warn("while closing the session on {}: {}", where, e.getMessage());
                }
            }
        }
        if (faulted && failures > 0) {
            LOG.warn("closed the session on {} after a kernel fault; {} cleanup calls failed, as they do in a faulted"
                    + " context", where, failures);
        }
        buffers.clear();
        graphs.clear();
        kernels.clear();
        idleEvents.clear();
        unfinished.clear();
    }

    private void makeCurrent() {
        if (closed) {
            throw new IllegalStateException("the session on " + where + " is closed");
        }
        cu.setCurrentContext(context, where);
    }

    /**
     * A buffer a kernel of this session may read: its own, or one of another session in the same
     * (primary) context, as {@code SharedBuffers} hands out.
     */
    private CudaBuffer inContext(DeviceBuffer b) {
        if (!(b instanceof CudaBuffer buffer) || !(buffer.session() instanceof CudaSession owner)
                || owner.context.address() != context.address()) {
            throw new IllegalArgumentException(b + " is not a buffer of this device's context on " + where);
        }
        return buffer;
    }

    private CudaBuffer own(DeviceBuffer b) {
        if (!(b instanceof CudaBuffer buffer) || buffer.session() != this) {
            throw new IllegalArgumentException(b + " is not a buffer of this session on " + where);
        }
        return buffer;
    }

    private void checkHost(MemorySegment host, CudaBuffer buffer, String operation) {
        if (!host.isNative()) {
            throw new IllegalArgumentException(operation + ": host memory must be off-heap (a NativeArray's segment),"
                    + " not a Java heap segment");
        }
        if (host.byteSize() < buffer.byteSize()) {
            throw new IllegalArgumentException(operation + ": host segment of " + host.byteSize() + " bytes is smaller"
                    + " than " + buffer + " (" + buffer.byteSize() + " bytes)");
        }
    }

    /** A function of a module loaded in this session. */
    private static final class CudaKernel implements CompiledKernel {
        final CudaSession session;
        final Kernel kernel;
        final String name;
        final MemorySegment function;
        final boolean usesContext;
        /** Bytes of dynamic shared memory each launch gives ({@link DynamicLocalMemory}). */
        final int sharedBytes;
        /** The source it was built from with its index checks on; null if built without them. */
        final String checkedSource;

        CudaKernel(CudaSession session, Kernel kernel, String name, MemorySegment function, boolean usesContext,
                int sharedBytes, String checkedSource) {
            this.session = session;
            this.kernel = kernel;
            this.name = name;
            this.function = function;
            this.usesContext = usesContext;
            this.sharedBytes = sharedBytes;
            this.checkedSource = checkedSource;
        }

        @Override
        public Kernel kernel() {
            return kernel;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** One launch, between two events if it is timed; its time is read when the session finishes. */
    private static final class CudaLaunch implements Launch {
        final String kernel;
        final boolean timed;
        MemorySegment start, end;
        long elapsedNanos = -1;

        CudaLaunch(String kernel, boolean timed) {
            this.kernel = kernel;
            this.timed = timed;
        }

        @Override
        public long elapsedNanos() {
            if (!timed) {
                throw new IllegalStateException("kernel " + kernel + " was launched without timing");
            }
            if (elapsedNanos < 0) {
                throw new IllegalStateException("the time of kernel " + kernel + " is known only after finish()");
            }
            return elapsedNanos;
        }
    }
}
