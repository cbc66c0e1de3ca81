package elattn.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * An off-heap array that kernels read and write and that the runtime copies to and from devices.
 * Its memory is a {@link MemorySegment}, so it can also be a view of a memory-mapped file (weights
 * are used where they lie) and is handed to native device APIs without copying.
 */
public abstract sealed class NativeArray permits FloatArray, IntArray, HalfFloatArray {
    /** Alignment of freshly allocated arrays: a cache line, and enough for any vector load. */
    static final long ALIGNMENT = 64;

    private final MemorySegment segment;
    private final int length;
    private final boolean deviceResident;

    NativeArray(MemorySegment segment, int elementBytes) {
        this(segment, elementBytes, false);
    }

    NativeArray(MemorySegment segment, int elementBytes, boolean deviceResident) {
        Objects.requireNonNull(segment, "segment");
        if (segment.byteSize() % elementBytes != 0) {
            throw new IllegalArgumentException("segment of " + segment.byteSize()
                    + " bytes is not a whole number of " + elementBytes + "-byte elements");
        }
        long n = segment.byteSize() / elementBytes;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("arrays hold at most " + Integer.MAX_VALUE
                    + " elements; got " + n + " (split the tensor)");
        }
        this.segment = segment;
        this.length = (int) n;
        this.deviceResident = deviceResident;
    }

    static MemorySegment allocate(int length, int elementBytes) {
        if (length < 0) {
            throw new IllegalArgumentException("negative array length " + length);
        }
        // Arena.ofAuto(): freed by the garbage collector once the array is unreachable; zero-filled.
        return Arena.ofAuto().allocate((long) length * elementBytes, ALIGNMENT);
    }

    /** Zero-filled memory for a device-resident array, committed by the OS only where written. */
    static MemorySegment allocateLazily(int length, int elementBytes) {
        if (length < 0) {
            throw new IllegalArgumentException("negative array length " + length);
        }
        return LazyHostMemory.allocate((long) length * elementBytes);
    }

    /**
     * Whether the array's contents live on the device: an execution plan that places it and finds
     * no graph transferring it to the device starts its buffer as zeros there instead of copying
     * the host memory across (kernels' scratch and caches). See {@link FloatArray#deviceResident}.
     */
    public final boolean isDeviceResident() {
        return deviceResident;
    }

    /** {@code index} if it is within the array, else an {@link ArrayIndexException} naming this array. */
    final int checkIndex(int index) {
        if (Integer.compareUnsigned(index, length) >= 0) {
            throw new ArrayIndexException(this, index);
        }
        return index;
    }

    /** Number of elements. In kernels this is the only way to learn an array's length. */
    public final int getSize() {
        return length;
    }

    /** The memory that holds the elements, in the platform's byte order. */
    public final MemorySegment getSegment() {
        return segment;
    }

    /** Size of the element storage in bytes. */
    public final long getNumBytes() {
        return segment.byteSize();
    }

    /** Bytes per element in storage. */
    public abstract int elementBytes();

    /** Sets every element to zero. */
    public final void clear() {
        segment.fill((byte) 0);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + length + "]";
    }
}
