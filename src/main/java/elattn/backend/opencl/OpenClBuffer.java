package elattn.backend.opencl;

import elattn.kernel.NativeArray;
import elattn.runtime.DeviceBuffer;
import java.lang.foreign.MemorySegment;

/**
 * A {@code cl_mem} holding one array's elements. It remembers its array type so that a launch can
 * check it against the kernel's parameter, and its session so that it is not used in another one.
 * Freed when its session closes.
 */
final class OpenClBuffer implements DeviceBuffer {
    private final OpenClSession session;
    private final MemorySegment handle;
    private final Class<? extends NativeArray> arrayType;
    private final int length;
    private final long byteSize;

    OpenClBuffer(OpenClSession session, MemorySegment handle, Class<? extends NativeArray> arrayType, int length,
            long byteSize) {
        this.session = session;
        this.handle = handle;
        this.arrayType = arrayType;
        this.length = length;
        this.byteSize = byteSize;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public int length() {
        return length;
    }

    OpenClSession session() {
        return session;
    }

    MemorySegment handle() {
        return handle;
    }

    Class<? extends NativeArray> arrayType() {
        return arrayType;
    }

    @Override
    public String toString() {
        return arrayType.getSimpleName() + "[" + length + "] on " + session.device().id();
    }
}
