package elattn.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** An off-heap array of 32-bit floats; in device code a {@code float*}. */
public final class FloatArray extends NativeArray {
    private static final ValueLayout.OfFloat LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** A new zero-filled array of {@code length} floats. */
    public FloatArray(int length) {
        super(allocate(length, Float.BYTES), Float.BYTES);
    }

    private FloatArray(MemorySegment segment) {
        super(segment, Float.BYTES);
    }

    private FloatArray(MemorySegment segment, boolean deviceResident) {
        super(segment, Float.BYTES, deviceResident);
    }

    /**
     * A zero-filled array whose contents live on a device: kernels' intermediates and caches. An
     * execution plan zero-fills its device buffer instead of copying the host memory (unless a
     * graph transfers it to the device), and the host memory is committed only where written,
     * e.g. by a transfer to the host, so gigabytes of device state cost the host nothing.
     */
    public static FloatArray deviceResident(int length) {
        return new FloatArray(allocateLazily(length, Float.BYTES), true);
    }

    /** A view of existing memory (for example a memory-mapped tensor); no copy is made. */
    public static FloatArray fromSegment(MemorySegment segment) {
        return new FloatArray(segment);
    }

    /** A new array holding a copy of {@code values}. */
    public static FloatArray fromArray(float... values) {
        FloatArray a = new FloatArray(values.length);
        MemorySegment.copy(values, 0, a.getSegment(), LAYOUT, 0, values.length);
        return a;
    }

    public float get(int index) {
        return getSegment().getAtIndex(LAYOUT, checkIndex(index));
    }

    public void set(int index, float value) {
        getSegment().setAtIndex(LAYOUT, checkIndex(index), value);
    }

    /** Sets every element to {@code value}. */
    public void init(float value) {
        for (int i = 0; i < getSize(); i++) {
            set(i, value);
        }
    }

    /** A copy of the elements on the Java heap. */
    public float[] toHeapArray() {
        return getSegment().toArray(LAYOUT);
    }

    /** The first {@code length} elements in a new Java array (a step reads back only its live rows). */
    public float[] toHeapArray(int length) {
        return getSegment().asSlice(0, (long) length * LAYOUT.byteSize()).toArray(LAYOUT);
    }

    @Override
    public int elementBytes() {
        return Float.BYTES;
    }
}
