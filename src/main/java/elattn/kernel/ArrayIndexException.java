package elattn.kernel;

/**
 * An index outside a {@link NativeArray}, naming the array object: the JVM backend runs a kernel's
 * Java and reports an index out of range as devices report it in checked mode (kernel, array,
 * index, length), which needs to know which of the kernel's arrays it was.
 */
public final class ArrayIndexException extends IndexOutOfBoundsException {
    private final transient NativeArray array;
    private final int index;

    ArrayIndexException(NativeArray array, int index) {
        super("Index " + index + " out of bounds for length " + array.getSize() + " (" + array + ")");
        this.array = array;
        this.index = index;
    }

    /** The array that was indexed. */
    public NativeArray array() {
        return array;
    }

    /** The index out of range. */
    public int index() {
        return index;
    }
}
