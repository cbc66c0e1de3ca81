package elattn.backend.opencl;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import elattn.runtime.Device;
import elattn.runtime.DeviceSession;
import elattn.runtime.KernelBinaryCache;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One OpenCL device ({@code opencl:N}) with the properties the backend needs to size buffers and
 * work-groups, read once when the devices are listed, and the one context all its sessions work in,
 * so that a program built for one session serves the later ones ({@link OpenClPrograms}).
 */
final class OpenClDevice implements Device {
    private final OpenCl cl;
    private final MemorySegment handle;
    private final String id;
    private final String name;
    private final String platformName;
    private final String platformVersion;
    private final String version;
    private final String driverVersion;
    private final long globalMemoryBytes;
    private final long maxAllocationBytes;
    private final int computeUnits;
    private final boolean gpu;
    private final long[] maxWorkItemSizes;
    /** Created by the first session, released with the process. */
    private MemorySegment context;
    private OpenClPrograms programs;

    OpenClDevice(OpenCl cl, MemorySegment handle, int index, String platformName, String platformVersion) {
        this.cl = cl;
        this.handle = handle;
        this.id = "opencl:" + index;
        this.platformName = platformName;
        this.platformVersion = platformVersion;
        String where = id + " (platform " + platformName + ")";
        this.name = OpenCl.infoString(query(OpenCl.CL_DEVICE_NAME), "clGetDeviceInfo(CL_DEVICE_NAME)", where);
        this.version = OpenCl.infoString(query(OpenCl.CL_DEVICE_VERSION), "clGetDeviceInfo(CL_DEVICE_VERSION)", where);
        this.driverVersion = OpenCl.infoString(query(OpenCl.CL_DRIVER_VERSION), "clGetDeviceInfo(CL_DRIVER_VERSION)",
                where);
        this.globalMemoryBytes = OpenCl.infoLong(query(OpenCl.CL_DEVICE_GLOBAL_MEM_SIZE),
                "clGetDeviceInfo(CL_DEVICE_GLOBAL_MEM_SIZE)", where);
        this.maxAllocationBytes = OpenCl.infoLong(query(OpenCl.CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                "clGetDeviceInfo(CL_DEVICE_MAX_MEM_ALLOC_SIZE)", where);
        this.computeUnits = OpenCl.infoInt(query(OpenCl.CL_DEVICE_MAX_COMPUTE_UNITS),
                "clGetDeviceInfo(CL_DEVICE_MAX_COMPUTE_UNITS)", where);
        long type = OpenCl.infoLong(query(OpenCl.CL_DEVICE_TYPE), "clGetDeviceInfo(CL_DEVICE_TYPE)", where);
        this.gpu = (type & OpenCl.CL_DEVICE_TYPE_GPU) != 0;
        int dims = OpenCl.infoInt(query(OpenCl.CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS),
                "clGetDeviceInfo(CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS)", where);
        this.maxWorkItemSizes = OpenCl.infoLongs(query(OpenCl.CL_DEVICE_MAX_WORK_ITEM_SIZES), dims,
                "clGetDeviceInfo(CL_DEVICE_MAX_WORK_ITEM_SIZES)", where);
    }

    private OpenCl.InfoQuery query(int param) {
        return (size, value, ret) -> cl.getDeviceInfo(handle, param, size, value, ret);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String backendName() {
        return "opencl";
    }

    @Override
    public long globalMemoryBytes() {
        return globalMemoryBytes;
    }

    @Override
    public int computeUnits() {
        return computeUnits;
    }

    @Override
    public boolean isGpu() {
        return gpu;
    }

    @Override
    public DeviceSession open() {
        return new OpenClSession(this);
    }

    OpenCl cl() {
        return cl;
    }

    /**
     * The context of this device that every session shares (buffers stay per session), created
     * at the first call. Contexts are cheap to keep and the programs built in it are not cheap to
     * rebuild, so it is never released: the driver frees it when the process exits.
     */
    synchronized MemorySegment context() {
        if (context == null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment err = arena.allocate(JAVA_INT);
                MemorySegment created = cl.createContext(handle, err);
                ClErrors.check(err.get(JAVA_INT, 0), "clCreateContext", toString());
                context = created;
            }
        }
        return context;
    }

    /** The programs built in {@link #context()} for all sessions, with the configured disk cache. */
    synchronized OpenClPrograms programs() {
        if (programs == null) {
            programs = new OpenClPrograms(this, KernelBinaryCache.configured());
        }
        return programs;
    }

    /**
     * What a program binary of this device depends on besides its source and options: the
     * platform, the device and the driver, by name and version.
     */
    String compilerIdentity() {
        return "platform " + platformName + " (" + platformVersion + "), device " + name + " (" + version
                + "), driver " + driverVersion;
    }

    MemorySegment handle() {
        return handle;
    }

    /** The largest single buffer the device allows ({@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}). */
    long maxAllocationBytes() {
        return maxAllocationBytes;
    }

    /** {@code CL_DEVICE_MAX_WORK_ITEM_SIZES}: the largest work-group extent per dimension. */
    long[] maxWorkItemSizes() {
        return maxWorkItemSizes.clone();
    }

    /** {@code CL_DEVICE_VERSION}, such as {@code OpenCL 3.0 CUDA}. */
    String version() {
        return version;
    }

    @Override
    public String toString() {
        return id + " (" + name + ", " + platformName + ")";
    }
}
