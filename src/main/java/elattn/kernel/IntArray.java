package elattn.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** An off-heap array of 32-bit ints; in device code an {@code int*}. */
public final class IntArray extends NativeArray {
    private static final ValueLayout.OfInt LAYOUT = ValueLayout.JAVA_INT_UNALIGNED;

    /** A new zero-filled array of {@code length} ints. */
    public IntArray(int length) {
        super(allocate(length, Integer.BYTES), Integer.BYTES);
    }

    private IntArray(MemorySegment segment) {
        super(segment, Integer.BYTES);
    }

    private IntArray(MemorySegment segment, boolean deviceResident) {
        super(segment, Integer.BYTES, deviceResident);
    }

    /** A zero-filled array whose contents live on a device; see {@link FloatArray#deviceResident}. */
    public static IntArray deviceResident(int length) {
        return new IntArray(allocateLazily(length, Integer.BYTES), true);
    }

    /** A view of existing memory; no copy is made. */
    public static IntArray fromSegment(MemorySegment segment) {
        return new IntArray(segment);
    }

    /** A new array holding a copy of {@code values}. */
    public static IntArray fromArray(int... values) {
        IntArray a = new IntArray(values.length);
        MemorySegment.copy(values, 0, a.getSegment(), LAYOUT, 0, values.length);
        return a;
    }

    public int get(int index) {
        return getSegment().getAtIndex(LAYOUT, checkIndex(index));
    }

    public void set(int index, int value) {
        getSegment().setAtIndex(LAYOUT, checkIndex(index), value);
    }

    /** Sets every element to {@code value}. */
    public void init(int value) {
        for (int i = 0; i < getSize(); i++) {
            set(i, value);
        }
    }

    /** A copy of the elements on the Java heap. */
    public int[] toHeapArray() {
        return getSegment().toArray(LAYOUT);
    }

    /** The first {@code length} elements in a new Java array (a step reads back only its live rows). */
    public int[] toHeapArray(int length) {
        return getSegment().asSlice(0, (long) length * LAYOUT.byteSize()).toArray(LAYOUT);
    }

    @Override
    public int elementBytes() {
        return Integer.BYTES;
    }
}
