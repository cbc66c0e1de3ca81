package elattn.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An off-heap array of IEEE 754 half-precision (fp16) values: half the memory and bandwidth of a
 * {@link FloatArray}, while all arithmetic stays fp32. {@link #get} widens to float and {@link #set}
 * rounds to nearest even, on the JVM as on devices (OpenCL {@code vload_half}/{@code vstore_half},
 * CUDA {@code cvt} instructions), so the extension for fp16 arithmetic is not needed.
 */
public final class HalfFloatArray extends NativeArray {
    private static final ValueLayout.OfShort LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED;

    /** A new array of {@code length} zeros. */
    public HalfFloatArray(int length) {
        super(allocate(length, Short.BYTES), Short.BYTES);
    }

    private HalfFloatArray(MemorySegment segment) {
        super(segment, Short.BYTES);
    }

    private HalfFloatArray(MemorySegment segment, boolean deviceResident) {
        super(segment, Short.BYTES, deviceResident);
    }

    /** A zero-filled array whose contents live on a device; see {@link FloatArray#deviceResident}. */
    public static HalfFloatArray deviceResident(int length) {
        return new HalfFloatArray(allocateLazily(length, Short.BYTES), true);
    }

    /** A view of existing fp16 memory (for example a memory-mapped tensor); no copy is made. */
    public static HalfFloatArray fromSegment(MemorySegment segment) {
        return new HalfFloatArray(segment);
    }

    /** A new array holding {@code values} rounded to fp16. */
    public static HalfFloatArray fromArray(float... values) {
        HalfFloatArray a = new HalfFloatArray(values.length);
        for (int i = 0; i < values.length; i++) {
            a.set(i, values[i]);
        }
        return a;
    }

    /** The element widened to float. */
    public float get(int index) {
        return Float.float16ToFloat(getSegment().getAtIndex(LAYOUT, checkIndex(index)));
    }

    /** Stores {@code value} rounded to the nearest fp16 value. */
    public void set(int index, float value) {
        getSegment().setAtIndex(LAYOUT, checkIndex(index), Float.floatToFloat16(value));
    }

    /** The raw fp16 bits of the element. */
    public short getHalfBits(int index) {
        return getSegment().getAtIndex(LAYOUT, checkIndex(index));
    }

    /** Sets every element to {@code value} rounded to fp16. */
    public void init(float value) {
        short bits = Float.floatToFloat16(value);
        for (int i = 0; i < getSize(); i++) {
            getSegment().setAtIndex(LAYOUT, i, bits);
        }
    }

    /** A copy of the elements widened to floats on the Java heap. */
    public float[] toHeapArray() {
        float[] out = new float[getSize()];
        for (int i = 0; i < out.length; i++) {
            out[i] = get(i);
        }
        return out;
    }

    @Override
    public int elementBytes() {
        return Short.BYTES;
    }
}
