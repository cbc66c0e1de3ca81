package elattn.backend.jvm;

import elattn.kernel.KernelContext;
import elattn.kernel.NativeArray;
import elattn.runtime.DeviceBuffer;
import elattn.runtime.DeviceOutOfMemoryException;
import elattn.runtime.DeviceSession;
import elattn.runtime.ElattnRuntimeException;
import elattn.runtime.JvmKernel;
import elattn.runtime.Kernel;
import elattn.runtime.KernelFaultException;
import elattn.runtime.LaunchGrid;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A session on the JVM device. Its "device memory" is off-heap memory of its own arena, so data
 * reaches a kernel only through the copies the plan makes. Operations run synchronously in the
 * calling thread's order (a trivially in-order queue); a launch spreads the kernel over a
 * fork/join pool: {@code @Parallel} kernels by chunks of their outermost loop, work-group kernels
 * by work-groups, each work-group's items on virtual threads so that barriers really wait.
 */
final class JvmSession implements DeviceSession {
    /** Shared by all sessions: as many workers as processors (the common pool leaves one out). */
    private static final ForkJoinPool POOL = new ForkJoinPool(Runtime.getRuntime().availableProcessors());
    /** Chunks per worker, so uneven chunks still balance. */
    private static final int CHUNKS_PER_WORKER = 4;
    /** Most work items in one work-group (the limit of a {@link java.util.concurrent.Phaser}). */
    private static final int MAX_GROUP_ITEMS = 65_535;

    private final JvmDevice device;
    private final Arena arena = Arena.ofShared();
    private final Map<Kernel, Compiled> kernels = new ConcurrentHashMap<>();
    private boolean closed;

    /** A kernel ready to run: work-group kernels get a handle taking (context, args...) as an array. */
    private record Compiled(Kernel kernel, MethodHandle spreader) implements CompiledKernel {
    }

    private record Timed(long elapsedNanos) implements Launch {
    }

    JvmSession(JvmDevice device) {
        this.device = device;
    }

    @Override
    public JvmDevice device() {
        return device;
    }

    @Override
    public DeviceBuffer allocate(NativeArray like) {
        requireOpen();
        try {
            return JvmBuffer.over(arena.allocate(like.getNumBytes(), 64), like);
        } catch (OutOfMemoryError e) {
            throw new DeviceOutOfMemoryException(device.id(), like.getNumBytes(), "the JVM's direct memory, which"
                    + " -XX:MaxDirectMemorySize raises: " + e.getMessage());
        }
    }

    @Override
    public void copyToDevice(MemorySegment src, DeviceBuffer dst) {
        copy(src, buffer(dst).segment());
    }

    @Override
    public void copyToHost(DeviceBuffer src, MemorySegment dst) {
        copy(buffer(src).segment(), dst);
    }

    @Override
    public void fillZero(DeviceBuffer dst) {
        requireOpen();
        buffer(dst).segment().fill((byte) 0);
    }

    private void copy(MemorySegment from, MemorySegment to) {
        requireOpen();
        if (from.byteSize() != to.byteSize()) {
            throw new IllegalArgumentException("copy of " + from.byteSize() + " bytes into a buffer of "
                    + to.byteSize() + " bytes");
        }
        MemorySegment.copy(from, 0, to, 0, from.byteSize());
    }

    /** Every kernel here is checked: Java checks every index ({@link JvmIndexFaults} reports it as devices do). */
    @Override
    public CompiledKernel compile(Kernel kernel, boolean checked) {
        requireOpen();
        return kernels.computeIfAbsent(kernel, k -> new Compiled(k, k.usesContext() ? spreader(k.method()) : null));
    }

    private static MethodHandle spreader(Method method) {
        try {
            method.setAccessible(true);
            MethodHandle handle = MethodHandles.lookup().unreflect(method);
            return handle.asSpreader(Object[].class, method.getParameterCount())
                    .asType(MethodType.methodType(void.class, Object[].class));
        } catch (IllegalAccessException | RuntimeException e) {
            throw new ElattnRuntimeException("cannot call kernel " + method.getDeclaringClass().getName() + "."
                    + method.getName() + " on the jvm: " + e, e);
        }
    }

    @Override
    public Launch launch(CompiledKernel kernel, LaunchGrid grid, Object[] args, boolean timed) {
        requireOpen();
        if (!(kernel instanceof Compiled compiled)) {
            throw new IllegalArgumentException("kernel " + kernel.kernel().name() + " was not compiled by this session");
        }
        Object[] javaArgs = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            javaArgs[i] = args[i] instanceof DeviceBuffer b ? buffer(b).view() : args[i];
        }
        long start = System.nanoTime();
        try {
            if (compiled.spreader() == null) {
                runParallel(compiled.kernel().jvm(), grid, javaArgs);
            } else {
                runGroups(compiled, grid, javaArgs);
            }
        } catch (RuntimeException e) {
            KernelFaultException fault = JvmIndexFaults.of(compiled.kernel(), e, javaArgs);
            if (fault != null) {
                throw fault;
            }
            throw e instanceof ElattnRuntimeException r ? r
                    : new ElattnRuntimeException("kernel " + compiled.kernel().name() + " failed: " + e, e);
        }
        return new Timed(System.nanoTime() - start);
    }

    /** Runs a {@code @Parallel} kernel in chunks of its outermost loop (the last grid dimension). */
    private static void runParallel(JvmKernel kernel, LaunchGrid grid, Object[] args) {
        long outer = grid.global()[grid.dimensions() - 1];
        inChunks(outer, (from, to) -> kernel.run(args, from, to));
    }

    /** Runs every work-group of a {@code KernelContext} kernel; groups run in parallel. */
    private static void runGroups(Compiled kernel, LaunchGrid grid, Object[] args) {
        int[] global = threeDims(grid.global(), kernel);
        int[] local = threeDims(grid.local(), kernel);
        long items = (long) local[0] * local[1] * local[2];
        if (items > MAX_GROUP_ITEMS) {
            throw new ElattnRuntimeException("kernel " + kernel.kernel().name() + ": work-groups of " + items
                    + " items are more than the jvm runs (" + MAX_GROUP_ITEMS + ")");
        }
        int[] groups = {global[0] / local[0], global[1] / local[1], global[2] / local[2]};
        inChunks((long) groups[0] * groups[1] * groups[2], (from, to) -> {
            for (long g = from; g < to; g++) {
                int[] group = {(int) (g % groups[0]), (int) (g / groups[0] % groups[1]),
                        (int) (g / groups[0] / groups[1])};
                runGroup(kernel, group, global, local, (int) items, args);
            }
        });
    }

    private static void runGroup(Compiled kernel, int[] group, int[] global, int[] local, int items, Object[] args) {
        JvmWorkGroup workGroup = new JvmWorkGroup(items);
        List<Thread> threads = new ArrayList<>(items);
        for (int i = 0; i < items; i++) {
            int[] localId = {i % local[0], i / local[0] % local[1], i / local[0] / local[1]};
            int[] globalId = new int[3];
            for (int d = 0; d < 3; d++) {
                globalId[d] = group[d] * local[d] + localId[d];
            }
            // The context goes back where the method takes it (the device arguments leave it out).
            int at = kernel.kernel().contextIndex();
            Object[] itemArgs = new Object[args.length + 1];
            System.arraycopy(args, 0, itemArgs, 0, at);
            itemArgs[at] = new KernelContext(globalId, localId, global, local, workGroup);
            System.arraycopy(args, at, itemArgs, at + 1, args.length - at);
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    kernel.spreader().invokeExact(itemArgs);
                    workGroup.finished();
                } catch (Throwable t) {
                    workGroup.failed(t instanceof JvmWorkGroup.Aborted ? t
                            : new ElattnRuntimeException("work item " + Arrays.toString(globalId) + " of kernel "
                                    + kernel.kernel().name() + " failed: " + t, t));
                }
            }));
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ElattnRuntimeException("interrupted while running kernel " + kernel.kernel().name(), e);
            }
        }
        Throwable failure = workGroup.failure();
        if (failure instanceof RuntimeException r) {
            throw r;
        } else if (failure != null) {
            throw new ElattnRuntimeException("kernel " + kernel.kernel().name() + " failed: " + failure, failure);
        }
    }

    private static int[] threeDims(long[] sizes, Compiled kernel) {
        int[] dims = {1, 1, 1};
        for (int d = 0; d < sizes.length; d++) {
            if (sizes[d] > Integer.MAX_VALUE) {
                throw new ElattnRuntimeException("kernel " + kernel.kernel().name() + ": grid size " + sizes[d]
                        + " does not fit the int ids of a KernelContext");
            }
            dims[d] = (int) sizes[d];
        }
        return dims;
    }

    /** A consumer of the half-open range [from, to). */
    @FunctionalInterface
    private interface RangeAction {
        void run(long from, long to);
    }

    /**
     * Splits [0, n) into chunks run on the pool and waits for all of them (so no chunk still runs
     * when the launch returns, even if one failed); rethrows the first failure.
     */
    private static void inChunks(long n, RangeAction action) {
        int chunks = (int) Math.min(n, (long) POOL.getParallelism() * CHUNKS_PER_WORKER);
        if (chunks <= 1) {
            action.run(0, n);
            return;
        }
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            long from = n * c / chunks;
            long to = n * (c + 1) / chunks;
            tasks.add(POOL.submit(() -> {
                try {
                    action.run(from, to);
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        tasks.forEach(ForkJoinTask::join);
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    @Override
    public void finish() {
        requireOpen();
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            kernels.clear();
            arena.close();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this jvm session is closed");
        }
    }

    private JvmBuffer buffer(DeviceBuffer b) {
        if (b instanceof JvmBuffer jb) {
            return jb;
        }
        throw new IllegalArgumentException("buffer " + b + " does not belong to the jvm device");
    }
}
