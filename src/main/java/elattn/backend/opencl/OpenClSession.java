package elattn.backend.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One in-order, profiling command queue on one device, in the device's context, owning the buffers
 * and the {@code cl_kernel}s made in it; the programs behind the kernels are the device's, built
 * once per process ({@link OpenClPrograms}). Copies and launches are enqueued without waiting;
 * {@link #finish()} waits for them and reads the launches' device times from their profiling events.
 *
 * <p>Threads: OpenCL objects may be used from any thread, so the session may be opened on one
 * thread and used on another. Its methods are synchronized, because setting a kernel's arguments
 * and enqueueing it must not interleave with another launch of the same kernel; a thread blocked in
 * {@link #finish()} holds the session, which is what an in-order queue means anyway.
 */
final class OpenClSession implements DeviceSession {
    /** System property: a folder into which every OpenCL source the session builds is written. */
    static final String DUMP_PROPERTY = "elattn.dumpKernels";

    private final OpenClDevice device;
    private final OpenCl cl;
    private final String where;
    private final MemorySegment context;
    private final OpenClPrograms programs;
    private final MemorySegment queue;
    private final List<OpenClBuffer> buffers = new ArrayList<>();
    /** Built kernels by {@link Built} ({@link Kernel} and checks), or by source text for {@link #compileSource}. */
    private final Map<Object, OpenClKernel> kernels = new HashMap<>();
    private final OpenClFaultRecord faultRecord;
    private final CheckedLaunches checkedLaunches = new CheckedLaunches();
    /** Launches enqueued since the last {@link #finish()}, whose events still have to be read and released. */
    private final List<OpenClLaunch> pending = new ArrayList<>();
    /**
     * Native scratch of the launch path, reused by every launch (the driver copies what it reads
     * before the call returns), so that a launch allocates nothing: one argument value, the global
     * and local sizes (3 + 3), the event out-parameter.
     */
    private final Arena launchArena = Arena.ofAuto();
    private final MemorySegment argument = launchArena.allocate(Long.BYTES);
    private final MemorySegment launchSizes = launchArena.allocate(JAVA_LONG, 6);
    private final MemorySegment launchEvent = launchArena.allocate(ADDRESS);
    private boolean closed;

    /** The cache key of a kernel built from a {@link Kernel}: with its index checks on or off. */
    private record Built(Kernel kernel, boolean checked) {
    }

    OpenClSession(OpenClDevice device) {
        this(device, device.programs());
    }

    /** A session whose programs come from {@code programs} (tests give it a cache of their own). */
    OpenClSession(OpenClDevice device, OpenClPrograms programs) {
        this.device = device;
        this.cl = device.cl();
        this.where = device.toString();
        this.context = device.context();
        this.programs = programs;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(JAVA_INT);
            this.queue = cl.createCommandQueue(context, device.handle(), OpenCl.CL_QUEUE_PROFILING_ENABLE, err);
            ClErrors.check(err.get(JAVA_INT, 0), "clCreateCommandQueue", where);
        }
        this.faultRecord = new OpenClFaultRecord(cl, context, queue, where);
    }

    @Override
    public OpenClDevice device() {
        return device;
    }

    @Override
    public synchronized DeviceBuffer allocate(NativeArray like) {
        ensureOpen();
        long bytes = like.getNumBytes();
        if (bytes > device.maxAllocationBytes()) {
            throw new DeviceOutOfMemoryException(where, bytes, "larger than the largest buffer the device allows, "
                    + "CL_DEVICE_MAX_MEM_ALLOC_SIZE = " + device.maxAllocationBytes() + " bytes");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(JAVA_INT);
            // OpenCL has no empty buffers; an empty array gets room for one element that no copy touches
            // (a checked kernel's access out of range is made at index 0 instead).
            MemorySegment handle = cl.createBuffer(context, OpenCl.CL_MEM_READ_WRITE, Math.max(Float.BYTES, bytes), err);
            checkMemory(err.get(JAVA_INT, 0), "clCreateBuffer", bytes);
            OpenClBuffer buffer = new OpenClBuffer(this, handle, like.getClass(), like.getSize(), bytes);
            buffers.add(buffer);
            return buffer;
        }
    }

    @Override
    public synchronized void copyToDevice(MemorySegment src, DeviceBuffer dst) {
        ensureOpen();
        OpenClBuffer buffer = own(dst);
        checkHostMemory(src, buffer, "copyToDevice");
        if (buffer.byteSize() > 0) {
            checkMemory(cl.enqueueWriteBuffer(queue, buffer.handle(), buffer.byteSize(), src),
                    "clEnqueueWriteBuffer", buffer.byteSize());
        }
    }

    @Override
    public synchronized void fillZero(DeviceBuffer dst) {
        ensureOpen();
        OpenClBuffer buffer = own(dst);
        if (buffer.byteSize() > 0) {
            checkMemory(cl.enqueueFillZero(queue, buffer.handle(), buffer.byteSize()), "clEnqueueFillBuffer",
                    buffer.byteSize());
        }
    }

    @Override
    public synchronized void copyToHost(DeviceBuffer src, MemorySegment dst) {
        ensureOpen();
        OpenClBuffer buffer = own(src);
        checkHostMemory(dst, buffer, "copyToHost");
        if (buffer.byteSize() > 0) {
            checkMemory(cl.enqueueReadBuffer(queue, buffer.handle(), buffer.byteSize(), dst),
                    "clEnqueueReadBuffer", buffer.byteSize());
        }
    }

    @Override
    public synchronized CompiledKernel compile(Kernel kernel, boolean checked) {
        ensureOpen();
        Built key = new Built(kernel, checked);
        OpenClKernel built = kernels.get(key);
        if (built == null) {
            String dumpName = kernel.method().getDeclaringClass().getName() + "." + kernel.functionName();
            built = build(kernel, kernel.name(), dumpName, kernel.functionName(), kernel.openclSource(),
                    kernel.parameterTypes(), kernel.usesContext(), checked);
            kernels.put(key, built);
        }
        return built;
    }

    /**
     * Builds OpenCL C that follows the device C ABI without a {@link Kernel} behind it, so tests can
     * exercise the backend on hand-written sources. Cached by source text.
     */
    synchronized OpenClKernel compileSource(String functionName, String source, List<Class<?>> parameterTypes,
            boolean usesContext) {
        ensureOpen();
        OpenClKernel built = kernels.get(source);
        if (built == null) {
            built = build(null, functionName, functionName, functionName, source, List.copyOf(parameterTypes), usesContext,
                    false);
            kernels.put(source, built);
        }
        return built;
    }

    /** The session's own {@code cl_kernel} of the device's program for {@code source} ({@link OpenClPrograms}). */
    private OpenClKernel build(Kernel kernel, String name, String dumpName, String functionName, String source,
            List<Class<?>> parameterTypes, boolean usesContext, boolean checked) {
        dump(dumpName, source);
        MemorySegment program = programs.program(name, source, checked);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(JAVA_INT);
            MemorySegment handle = cl.createKernel(program, functionName, err);
            ClErrors.check(err.get(JAVA_INT, 0), "clCreateKernel(" + functionName + ") of kernel " + name, where);
            try {
                long groupSize = OpenCl.infoLong((size, value, ret) -> cl.getKernelWorkGroupInfo(handle,
                        device.handle(), OpenCl.CL_KERNEL_WORK_GROUP_SIZE, size, value, ret),
                        "clGetKernelWorkGroupInfo(CL_KERNEL_WORK_GROUP_SIZE) of kernel " + name, where);
                return new OpenClKernel(kernel, name, this, parameterTypes, usesContext, checked, handle, groupSize);
            } catch (RuntimeException e) {
                cl.releaseKernel(handle);
                throw e;
            }
        }
    }

    private static void dump(String name, String source) {
        String dir = System.getProperty(DUMP_PROPERTY);
        if (dir == null || dir.isBlank()) {
            return;
        }
        Path file = Path.of(dir, name + ".cl");
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, source, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ElattnRuntimeException("cannot write the kernel source " + file + " asked for by -D"
                    + DUMP_PROPERTY + ": " + e, e);
        }
    }

    @Override
    public synchronized Launch launch(CompiledKernel compiled, LaunchGrid grid, Object[] args, boolean timed) {
        ensureOpen();
        if (!(compiled instanceof OpenClKernel kernel) || kernel.session() != this) {
            throw new IllegalArgumentException("kernel " + compiled + " was not compiled by this session on " + where);
        }
        WorkGroups.NdRange range = kernel.usesContext()
                ? WorkGroups.exact(kernel.name(), grid.global(), grid.local(), kernel.maxWorkGroupSize())
                : null;
        long argumentBytes = setArguments(kernel, args);
        if (grid.totalItems() == 0) {
            return OpenClLaunch.EMPTY;
        }
        if (range == null) {
            range = WorkGroups.forParallel(grid.global(), kernel.maxWorkGroupSize(), device.maxWorkItemSizes());
        }
        int dims = grid.dimensions();
        for (int d = 0; d < dims; d++) {
            launchSizes.setAtIndex(JAVA_LONG, d, range.global()[d]);
            if (range.local() != null) {
                launchSizes.setAtIndex(JAVA_LONG, 3 + d, range.local()[d]);
            }
        }
        MemorySegment local = range.local() == null ? MemorySegment.NULL : launchSizes.asSlice(3 * JAVA_LONG.byteSize());
        int rc = cl.enqueueNDRangeKernel(queue, kernel.handle(), dims, launchSizes, local,
                timed ? launchEvent : MemorySegment.NULL);
        if (rc != ClErrors.CL_SUCCESS) {
            checkMemory(rc, "clEnqueueNDRangeKernel of kernel " + kernel.name() + " with " + range, argumentBytes);
        }
        OpenClLaunch launch = timed ? new OpenClLaunch(launchEvent.get(ADDRESS, 0)) : OpenClLaunch.untimed();
        if (timed) {
            pending.add(launch);
        }
        if (kernel.checked()) {
            checkedLaunches.add(kernel.name(), kernel.kernel().openclSource(), launch);
        }
        return launch;
    }

    /**
     * Sets the kernel's arguments per the device C ABI, and for a checked kernel the fault record
     * and the launch's number after them; returns the bytes of the buffers passed.
     */
    private long setArguments(OpenClKernel kernel, Object[] args) {
        LaunchArguments.check(kernel.name(), kernel.parameterTypes(), args);
        long bytes = 0;
        int index = 0;
        for (Object arg : args) {
            switch (arg) {
                case DeviceBuffer b -> {
                    OpenClBuffer buffer = inContext(b);
                    argument.set(ADDRESS, 0, buffer.handle());
                    setArgument(kernel, index++, ADDRESS.byteSize());
                    argument.set(JAVA_INT, 0, buffer.length());
                    setArgument(kernel, index++, Integer.BYTES);
                    bytes += buffer.byteSize();
                }
                case Integer v -> {
                    argument.set(JAVA_INT, 0, v);
                    setArgument(kernel, index++, Integer.BYTES);
                }
                case Long v -> {
                    argument.set(JAVA_LONG, 0, v);
                    setArgument(kernel, index++, Long.BYTES);
                }
                case Float v -> {
                    argument.set(JAVA_FLOAT, 0, v);
                    setArgument(kernel, index++, Float.BYTES);
                }
                default -> throw new AssertionError("checked by LaunchArguments: " + arg);
            }
        }
        if (kernel.checked()) {
            argument.set(ADDRESS, 0, faultRecord.buffer());
            setArgument(kernel, index++, ADDRESS.byteSize());
            argument.set(JAVA_INT, 0, checkedLaunches.next());
            setArgument(kernel, index, Integer.BYTES);
        }
        return bytes;
    }

    /** Passes the first {@code bytes} of {@link #argument} (clSetKernelArg copies them) as argument {@code index}. */
    private void setArgument(OpenClKernel kernel, int index, long bytes) {
        int rc = cl.setKernelArg(kernel.handle(), index, bytes, argument);
        if (rc != ClErrors.CL_SUCCESS) {
            throw ClErrors.failure(rc, "clSetKernelArg(" + index + ") of kernel " + kernel.name(), where);
        }
    }

    @Override
    public synchronized void finish() {
        ensureOpen();
        try {
            ClErrors.check(cl.finish(queue), "clFinish", where);
            for (OpenClLaunch launch : pending) {
                launch.readTime(cl, where);
            }
        } finally {
            releaseEvents();
        }
        if (!checkedLaunches.isEmpty()) {
            checkedLaunches.check(faultRecord.take());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Wait for queued work first: a queued copy may still read or write the caller's host memory.
        List<String> failures = new ArrayList<>();
        release(cl.finish(queue), "clFinish", failures);
        releaseEvents();
        for (OpenClKernel kernel : kernels.values()) {
            release(cl.releaseKernel(kernel.handle()), "clReleaseKernel", failures);
        }
        kernels.clear();
        for (OpenClBuffer buffer : buffers) {
            release(cl.releaseMemObject(buffer.handle()), "clReleaseMemObject", failures);
        }
        buffers.clear();
        release(faultRecord.release(), "clReleaseMemObject (fault record)", failures);
        release(cl.releaseCommandQueue(queue), "clReleaseCommandQueue", failures);
        if (!failures.isEmpty()) {
            throw new ElattnRuntimeException("closing the OpenCL session on " + where + " failed: " + failures);
        }
    }

    private static void release(int rc, String call, List<String> failures) {
        if (rc != ClErrors.CL_SUCCESS) {
            failures.add(call + ": " + ClErrors.name(rc));
        }
    }

    private void releaseEvents() {
        for (OpenClLaunch launch : pending) {
            cl.releaseEvent(launch.event());
        }
        pending.clear();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the OpenCL session on " + where + " is closed");
        }
    }

    /**
     * A buffer a kernel of this session may read: its own, or one of another session in the same
     * context (the device's), as {@code SharedBuffers} hands out.
     */
    private OpenClBuffer inContext(DeviceBuffer buffer) {
        if (!(buffer instanceof OpenClBuffer b) || !(b.session() instanceof OpenClSession owner)
                || owner.context.address() != context.address()) {
            throw new IllegalArgumentException("buffer " + buffer + " is not in this device's context on " + where);
        }
        return b;
    }

    private OpenClBuffer own(DeviceBuffer buffer) {
        if (!(buffer instanceof OpenClBuffer b) || b.session() != this) {
            throw new IllegalArgumentException("buffer " + buffer + " does not belong to this session on " + where);
        }
        return b;
    }

    private void checkHostMemory(MemorySegment host, OpenClBuffer buffer, String operation) {
        if (!host.isNative()) {
            throw new IllegalArgumentException(operation + " needs off-heap host memory (a NativeArray's segment), "
                    + "not a heap segment");
        }
        if (host.byteSize() != buffer.byteSize()) {
            throw new IllegalArgumentException(operation + ": host memory of " + host.byteSize()
                    + " bytes does not match " + buffer + " of " + buffer.byteSize() + " bytes");
        }
    }

    /** Checks a call that can fail for lack of memory, raising {@link DeviceOutOfMemoryException} then. */
    private void checkMemory(int rc, String call, long bytes) {
        if (rc == ClErrors.CL_MEM_OBJECT_ALLOCATION_FAILURE || rc == ClErrors.CL_OUT_OF_RESOURCES
                || rc == ClErrors.CL_OUT_OF_HOST_MEMORY) {
            throw new DeviceOutOfMemoryException(where, bytes, call + " returned " + ClErrors.name(rc));
        }
        ClErrors.check(rc, call, where);
    }

    @Override
    public String toString() {
        return "OpenCL session on " + where;
    }
}
