package elattn.runtime;

/** One device of a backend, such as {@code cuda:0}, {@code opencl:1} or {@code jvm}. */
public interface Device {
    /** The id users pass to {@code --device}: {@code jvm}, {@code opencl:N} or {@code cuda:N}. */
    String id();

    /** The vendor's device name. */
    String name();

    /** The backend's {@link Backend#name()}. */
    String backendName();

    /** Global (device) memory in bytes. */
    long globalMemoryBytes();

    /** Compute units (streaming multiprocessors on NVIDIA, cores on CPUs). */
    int computeUnits();

    /** Whether this is a GPU (the default device is the best GPU, else the JVM). */
    boolean isGpu();

    /**
     * Whether kernels that use tensor cores ({@code KernelContext.mma16816}) build and run here:
     * CUDA devices of compute capability 8.0 and later, and the JVM (mma16816's Java form, for
     * tests). OpenCL has no such instruction.
     */
    default boolean hasTensorCores() {
        return false;
    }

    /**
     * Opens a session: a context and an in-order queue on this device, in which an
     * {@link ExecutionPlan} keeps its buffers and compiled kernels.
     */
    DeviceSession open();
}
