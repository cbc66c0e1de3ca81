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
 * A device with less memory than the one it wraps: allocations past {@code limitBytes} held by all
 * its open sessions together fail with {@link DeviceOutOfMemoryException}, as a full GPU's do (a
 * model's weights live in a session of their own beside its plans'); everything else is the
 * wrapped device's. It records the most its sessions held at once, so a test can measure what a
 * batch needs (with no limit) and then set a limit between two batch sizes.
 */
public final class LimitedDevice implements Device {
    private final Device device;
    private volatile long limitBytes;
    private volatile long peakBytes;
    /** Bytes the open sessions hold together. */
    private long heldBytes;

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
            /** Bytes this session holds (freed when it closes). */
            private long mine;

            @Override
            public Device device() {
                return LimitedDevice.this;
            }

            @Override
            public DeviceBuffer allocate(NativeArray like) {
                synchronized (LimitedDevice.this) {
                    if (heldBytes + like.getNumBytes() > limit) {
                        throw new DeviceOutOfMemoryException(id(), like.getNumBytes(), "the test's limit of " + limit
                                + " bytes, " + heldBytes + " held");
                    }
                    DeviceBuffer b = session.allocate(like);
                    mine += b.byteSize();
                    heldBytes += b.byteSize();
                    peakBytes = Math.max(peakBytes, heldBytes);
                    return b;
                }
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
                synchronized (LimitedDevice.this) {
                    heldBytes -= mine;
                    mine = 0;
                }
            }
        };
    }
}
