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

    NativeArray(MemorySegment segment, int elementBytes) {
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
    }

    static MemorySegment allocate(int length, int elementBytes) {
        if (length < 0) {
            throw new IllegalArgumentException("negative array length " + length);
        }
        // Arena.ofAuto(): freed by the garbage collector once the array is unreachable; zero-filled.
        return Arena.ofAuto().allocate((long) length * elementBytes, ALIGNMENT);
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
