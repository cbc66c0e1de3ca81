package elattn.testing;

import elattn.kernel.NativeArray;
import elattn.runtime.Device;
import elattn.runtime.DeviceBuffer;
import elattn.runtime.DeviceOutOfMemoryException;
import elattn.runtime.DeviceSession;
import elattn.runtime.Kernel;
import elattn.runtime.LaunchGrid;
import java.lang.foreign.MemorySegment;

/**
 * A device with less memory than the one it wraps: a session's allocations past {@code limitBytes}
 * in all fail with {@link DeviceOutOfMemoryException}, as a full GPU's do; everything else is the
 * wrapped device's. It records the most any session held, so a test can measure what a batch needs
 * (with no limit) and then set a limit between two batch sizes.
 */
public final class LimitedDevice implements Device {
    private final Device device;
    private volatile long limitBytes;
    private volatile long peakBytes;

    public LimitedDevice(Device device, long limitBytes) {
        this.device = device;
        this.limitBytes = limitBytes;
    }

    /** Sets the limit for sessions opened from now on. */
    public void limit(long bytes) {
        limitBytes = bytes;
    }

    /** The most bytes one session has held so far. */
    public long peakBytes() {
        return peakBytes;
    }

    /** Forgets the peak, to measure another run. */
    public void resetPeak() {
        peakBytes = 0;
    }

    @Override
    public String id() {
        return device.id();
    }

    @Override
    public String name() {
        return device.name() + " (limited)";
    }

    @Override
    public String backendName() {
        return device.backendName();
    }

    @Override
    public long globalMemoryBytes() {
        return Math.min(limitBytes, device.globalMemoryBytes());
    }

    @Override
    public int computeUnits() {
        return device.computeUnits();
    }

    @Override
    public boolean isGpu() {
        return device.isGpu();
    }

    @Override
    public boolean hasTensorCores() {
        return device.hasTensorCores();
    }

    @Override
    public DeviceSession open() {
        DeviceSession session = device.open();
        long limit = limitBytes;
        return new DeviceSession() {
            private long held;

            @Override
            public Device device() {
                return LimitedDevice.this;
            }

            @Override
            public DeviceBuffer allocate(NativeArray like) {
                if (held + like.getNumBytes() > limit) {
                    throw new DeviceOutOfMemoryException(id(), like.getNumBytes(), "the test's limit of " + limit
                            + " bytes, " + held + " held");
                }
                DeviceBuffer b = session.allocate(like);
                held += b.byteSize();
                peakBytes = Math.max(peakBytes, held);
                return b;
            }

            @Override
            public void copyToDevice(MemorySegment src, DeviceBuffer dst) {
                session.copyToDevice(src, dst);
            }

            @Override
            public void copyToHost(DeviceBuffer src, MemorySegment dst) {
                session.copyToHost(src, dst);
            }

            @Override
            public void fillZero(DeviceBuffer dst) {
                session.fillZero(dst);
            }

            @Override
            public CompiledKernel compile(Kernel kernel, boolean checked) {
                return session.compile(kernel, checked);
            }

            @Override
            public Launch launch(CompiledKernel kernel, LaunchGrid grid, Object[] args, boolean timed) {
                return session.launch(kernel, grid, args, timed);
            }

            @Override
            public void finish() {
                session.finish();
            }

            @Override
            public void close() {
                session.close();
            }
        };
    }
}
