package elattn.testing;

import elattn.kernel.NativeArray;
import elattn.runtime.DeviceBuffer;
import elattn.runtime.DeviceSession;

/** Moving test arrays through a {@link DeviceSession} directly, for the backends' SPI tests. */
public final class DeviceArrays {
    private DeviceArrays() {
    }

    /** A buffer of {@code session} holding a copy of {@code array} (queued: the session's order applies). */
    public static DeviceBuffer upload(DeviceSession session, NativeArray array) {
        DeviceBuffer buffer = session.allocate(array);
        session.copyToDevice(array.getSegment(), buffer);
        return buffer;
    }
}
