package elattn.backend.jvm;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.NativeArray;
import elattn.runtime.DeviceBuffer;
import java.lang.foreign.MemorySegment;

/** The JVM device's copy of an array: off-heap memory of the session and an array view over it for kernels. */
record JvmBuffer(NativeArray view) implements DeviceBuffer {
    /** A buffer over {@code memory} with the element type of {@code like}. */
    static JvmBuffer over(MemorySegment memory, NativeArray like) {
        return new JvmBuffer(switch (like) {
            case FloatArray f -> FloatArray.fromSegment(memory);
            case IntArray i -> IntArray.fromSegment(memory);
            case HalfFloatArray h -> HalfFloatArray.fromSegment(memory);
        });
    }

    MemorySegment segment() {
        return view.getSegment();
    }

    @Override
    public long byteSize() {
        return view.getNumBytes();
    }

    @Override
    public int length() {
        return view.getSize();
    }
}
