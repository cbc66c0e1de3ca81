package elattn.backend.jvm;

import elattn.runtime.Device;
import elattn.runtime.DeviceSession;
import java.lang.management.ManagementFactory;

/** The JVM as a device: its processors are the compute units, physical memory its memory. */
final class JvmDevice implements Device {
    static final String ID = "jvm";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String name() {
        return "Java " + Runtime.version().feature() + " (" + computeUnits() + " threads)";
    }

    @Override
    public String backendName() {
        return ID;
    }

    /** Physical memory (device copies live off-heap), or the maximum heap where that is unknown. */
    @Override
    public long globalMemoryBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    @Override
    public int computeUnits() {
        return Runtime.getRuntime().availableProcessors();
    }

    @Override
    public boolean isGpu() {
        return false;
    }

    @Override
    public boolean hasTensorCores() {
        return true;
    }

    @Override
    public DeviceSession open() {
        return new JvmSession(this);
    }

    @Override
    public String toString() {
        return ID;
    }
}
