package elattn.model;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor of a checkpoint: its name, element type, shape and bytes, where the bytes are a view of
 * the memory-mapped file (nothing is copied until a conversion asks for it).
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Number of elements (product of the shape; 1 for a scalar). */
    public long elementCount() {
        return elementCount(shape);
    }

    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** A shape for messages: {@code [2, 3]}; one of more than eight dimensions cut short. */
    static String shapeText(long[] shape) {
        if (shape.length <= 8) {
            return Arrays.toString(shape);
        }
        return Arrays.toString(Arrays.copyOf(shape, 8)).replace("]", ", ... (" + shape.length + " dimensions)]");
    }

    /** Element {@code i} (flat, row-major) widened to float. */
    public float getFloat(long i) {
        long offset = i * dtype.bytes();
        return switch (dtype) {
            case F32 -> data.get(LE_FLOAT, offset);
            case F16 -> Float.float16ToFloat(data.get(LE_SHORT, offset));
            case BF16 -> Float.intBitsToFloat((data.get(LE_SHORT, offset) & 0xffff) << 16);
        };
    }

    /**
     * The tensor as fp32. An F32 tensor on a little-endian machine is a view of the mapped file;
     * F16 and BF16 are widened into a new array.
     */
    public FloatArray toFloatArray() {
        if (dtype == DType.F32 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            return FloatArray.fromSegment(data);
        }
        FloatArray out = new FloatArray(Math.toIntExact(elementCount()));
        for (int i = 0; i < out.getSize(); i++) {
            out.set(i, getFloat(i));
        }
        return out;
    }

    /**
     * The tensor as fp16. An F16 tensor on a little-endian machine is a view of the mapped file;
     * F32 and BF16 are rounded into a new array.
     */
    public HalfFloatArray toHalfFloatArray() {
        if (dtype == DType.F16 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            return HalfFloatArray.fromSegment(data);
        }
        HalfFloatArray out = new HalfFloatArray(Math.toIntExact(elementCount()));
        for (int i = 0; i < out.getSize(); i++) {
            out.set(i, getFloat(i));
        }
        return out;
    }

    @Override
    public String toString() {
        return name + " " + dtype + shapeText(shape);
    }
}
