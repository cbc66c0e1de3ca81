package elattn.runtime;

import elattn.kernel.NativeArray;

/**
 * What every native backend's buffer records besides its device handle: the session that owns it
 * (a buffer is not usable in another one), the array class whose elements it holds (checked against
 * the kernel's parameters by {@link LaunchArguments}), its length and size. Backends subclass it
 * with their handle (a {@code CUdeviceptr}, a {@code cl_mem}).
 */
public abstract class ArrayBuffer implements DeviceBuffer {
    private final DeviceSession session;
    private final Class<? extends NativeArray> elementType;
    private final int length;
    private final long byteSize;

    protected ArrayBuffer(DeviceSession session, Class<? extends NativeArray> elementType, int length, long byteSize) {
        this.session = session;
        this.elementType = elementType;
        this.length = length;
        this.byteSize = byteSize;
    }

    @Override
    public final long byteSize() {
        return byteSize;
    }

    @Override
    public final int length() {
        return length;
    }

    /** The array class whose elements the buffer holds. */
    public final Class<? extends NativeArray> elementType() {
        return elementType;
    }

    /** The session that allocated the buffer. */
    public final DeviceSession session() {
        return session;
    }

    @Override
    public String toString() {
        return elementType.getSimpleName() + "[" + length + "] on " + session.device().id();
    }
}
