package elattn.runtime;

/** Memory on a device holding one {@link elattn.kernel.NativeArray}'s elements. */
public interface DeviceBuffer {
    /** Size in bytes. */
    long byteSize();

    /** Number of elements (the kernel's {@code getSize()}). */
    int length();
}
