package elattn.runtime;

import elattn.kernel.NativeArray;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The backend's half of an {@link ExecutionPlan}: device memory, compiled kernels and one in-order
 * queue. Every operation runs after the ones submitted before it; copies and launches may return
 * before they finish, and {@link #finish()} waits for all of them. Host memory handed to a copy
 * must stay untouched until then.
 */
public interface DeviceSession extends AutoCloseable {
    Device device();

    /**
     * Allocates device memory for an array of the same element type and length as {@code like}
     * (its contents are not copied). Throws {@link DeviceOutOfMemoryException} when the device has
     * no room.
     */
    DeviceBuffer allocate(NativeArray like);

    /** Copies {@code src} (exactly the buffer's byte size) into {@code dst}. */
    void copyToDevice(MemorySegment src, DeviceBuffer dst);

    /** Copies {@code src} into {@code dst} (exactly the buffer's byte size). */
    void copyToHost(DeviceBuffer src, MemorySegment dst);

    /**
     * Sets every byte of {@code dst} to zero on the device (no host memory involved): how device-only
     * arrays start, without a copy across the bus.
     */
    void fillZero(DeviceBuffer dst);

    /**
     * Builds a kernel for this device (once each way; the session caches it). {@code checked} turns
     * its index checks on ({@code elattn.compiler.IndexChecks}): an index out of range is then made
     * at 0 and reported by {@link #finish()} (the jvm backend, running the kernel's Java, reports
     * every index out of range, at the launch). Throws {@link KernelBuildException} with the device
     * compiler's log when the source does not build.
     */
    CompiledKernel compile(Kernel kernel, boolean checked);

    /** {@link #compile(Kernel, boolean)}, checked as {@link KernelChecks#byDefault()} says. */
    default CompiledKernel compile(Kernel kernel) {
        return compile(kernel, KernelChecks.byDefault());
    }

    /**
     * Enqueues one launch. {@code args} are the kernel's Java arguments in order without the
     * {@code KernelContext}: a {@link DeviceBuffer} for each array and an {@code Integer},
     * {@code Long} or {@code Float} for each scalar. With {@code timed}, the returned launch
     * reports its device time once {@link #finish()} has returned; without, the device records
     * nothing for it (on a GPU a launch is a few microseconds of host time, and timing events
     * around it would double that) and {@link Launch#elapsedNanos()} may fail.
     */
    Launch launch(CompiledKernel kernel, LaunchGrid grid, Object[] args, boolean timed);

    /** {@link #launch(CompiledKernel, LaunchGrid, Object[], boolean) A timed launch}. */
    default Launch launch(CompiledKernel kernel, LaunchGrid grid, Object[] args) {
        return launch(kernel, grid, args, true);
    }

    /** One launch of a {@link #launchSequence}: its kernel, non-empty grid and arguments as for {@link #launch}. */
    record LaunchRequest(CompiledKernel kernel, LaunchGrid grid, Object[] args) {
    }

    /** Whether this session can record a sequence of launches and replay it as one unit ({@link #launchSequence}). */
    default boolean recordsSequences() {
        return false;
    }

    /**
     * Enqueues these launches, untimed, in order, as one unit, for a session that
     * {@link #recordsSequences}: a caller that enqueues the same kernels in the same order again
     * and again under one {@code sequence} key (a task graph run every decode step) has them
     * recorded once and replayed (the CUDA backend: a CUDA graph, whose nodes take each call's
     * grids and arguments). Returns one launch per request.
     */
    default List<Launch> launchSequence(Object sequence, List<LaunchRequest> launches) {
        throw new UnsupportedOperationException(device().id() + " does not record launch sequences");
    }

    /**
     * Waits until everything enqueued has finished; surfaces asynchronous device errors, and the
     * first index out of range of the checked kernels launched since the last finish as a
     * {@link KernelFaultException}.
     */
    void finish();

    /** Frees every buffer and kernel of the session. */
    @Override
    void close();

    /** A kernel built for this session's device. */
    interface CompiledKernel {
        Kernel kernel();
    }

    /** One enqueued launch. */
    interface Launch {
        /**
         * Time the kernel ran on the device, in nanoseconds; valid after {@link #finish()}, for a
         * launch that was timed.
         */
        long elapsedNanos();
    }
}
