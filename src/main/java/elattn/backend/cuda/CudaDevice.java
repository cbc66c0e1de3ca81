package elattn.backend.cuda;

import elattn.runtime.Device;
import elattn.runtime.DeviceSession;
import elattn.runtime.KernelBinaryCache;

/** One CUDA GPU ({@code cuda:N}) with what the runtime needs to choose and describe it. */
final class CudaDevice implements Device {
    private final CudaDriver driver;
    private final Nvrtc nvrtc;
    private final int ordinal;
    private final int handle;
    private final String name;
    private final long memory;
    private final int multiprocessors;
    private final int computeCapability;
    /** Created by the first session. */
    private CudaModules modules;

    private CudaDevice(CudaDriver driver, Nvrtc nvrtc, int ordinal, int handle, String name, long memory,
            int multiprocessors, int computeCapability) {
        this.driver = driver;
        this.nvrtc = nvrtc;
        this.ordinal = ordinal;
        this.handle = handle;
        this.name = name;
        this.memory = memory;
        this.multiprocessors = multiprocessors;
        this.computeCapability = computeCapability;
    }

    /** Reads the properties of device {@code ordinal} from the (initialised) driver. */
    static CudaDevice open(CudaDriver driver, Nvrtc nvrtc, int ordinal) {
        String id = "cuda:" + ordinal;
        int handle = driver.device(ordinal);
        int major = driver.deviceAttribute(handle, CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, id);
        int minor = driver.deviceAttribute(handle, CudaDriver.ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, id);
        return new CudaDevice(driver, nvrtc, ordinal, handle, driver.deviceName(handle, id),
                driver.deviceTotalMemory(handle, id),
                driver.deviceAttribute(handle, CudaDriver.ATTRIBUTE_MULTIPROCESSOR_COUNT, id), 10 * major + minor);
    }

    @Override
    public String id() {
        return "cuda:" + ordinal;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String backendName() {
        return "cuda";
    }

    @Override
    public long globalMemoryBytes() {
        return memory;
    }

    @Override
    public int computeUnits() {
        return multiprocessors;
    }

    @Override
    public boolean isGpu() {
        return true;
    }

    @Override
    public boolean hasTensorCores() {
        return computeCapability >= 80;
    }

    /** Compute capability as {@code 10*major+minor} (90 for an H100). */
    int computeCapability() {
        return computeCapability;
    }

    int handle() {
        return handle;
    }

    CudaDriver driver() {
        return driver;
    }

    Nvrtc nvrtc() {
        return nvrtc;
    }

    /** The kernels loaded on this device for all its sessions, with the configured disk cache. */
    synchronized CudaModules modules() {
        if (modules == null) {
            modules = new CudaModules(this, KernelBinaryCache.configured());
        }
        return modules;
    }

    @Override
    public DeviceSession open() {
        return new CudaSession(this);
    }

    @Override
    public String toString() {
        return id() + " (" + name + ", sm_" + computeCapability + ", " + multiprocessors + " SMs, "
                + (memory >> 20) + " MiB)";
    }
}
