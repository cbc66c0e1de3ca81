package elattn.backend.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import elattn.runtime.Backend;
import elattn.runtime.Device;
import elattn.runtime.ElattnRuntimeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs kernels through OpenCL (any vendor's GPU, or PoCL on CPUs), calling {@code libOpenCL.so.1}
 * through Java's foreign function API. The devices of all platforms are listed in platform order,
 * then in each platform's own order, and numbered {@code opencl:0..N-1}. A missing library or
 * driver is not an error: the backend then has no devices and says why.
 *
 * <p>The library name can be changed with the system property {@value #LIBRARY_PROPERTY} (for
 * example to a vendor's {@code libOpenCL.so} outside the loader path).
 */
public final class OpenClBackend implements Backend {
    /** System property naming the OpenCL library to load instead of {@value #DEFAULT_LIBRARY}. */
    public static final String LIBRARY_PROPERTY = "elattn.opencl.library";
    /** The ICD loader's soname on Linux. */
    public static final String DEFAULT_LIBRARY = "libOpenCL.so.1";

    private static final Logger LOG = LoggerFactory.getLogger(OpenClBackend.class);

    private final String library;
    private Discovery discovery;

    /** The backend over the library named by {@value #LIBRARY_PROPERTY}, by default {@value #DEFAULT_LIBRARY}. */
    public OpenClBackend() {
        this(System.getProperty(LIBRARY_PROPERTY, DEFAULT_LIBRARY));
    }

    /** The backend over the given OpenCL library (a soname or a path). */
    public OpenClBackend(String library) {
        this.library = library;
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public List<Device> devices() {
        return discovery().devices();
    }

    @Override
    public Optional<String> unavailableReason() {
        return discovery().reason();
    }

    /** Devices found, or why none: computed once, on first use, so that merely listing backends loads no driver. */
    private synchronized Discovery discovery() {
        if (discovery == null) {
            discovery = discover();
            discovery.reason().ifPresent(r -> LOG.debug("OpenCL unavailable: {}", r));
        }
        return discovery;
    }

    private record Discovery(List<Device> devices, Optional<String> reason) {
        static Discovery none(String reason) {
            return new Discovery(List.of(), Optional.of(reason));
        }
    }

    private Discovery discover() {
        PoclWorkGroupMethod.chooseUnlessSet();
        OpenCl cl;
        try {
            cl = OpenCl.load(library);
        } catch (RuntimeException e) {
            return Discovery.none("cannot load the OpenCL library " + library + " (" + e.getMessage()
                    + "); install an OpenCL driver with its ICD loader (for example ocl-icd-libopencl1 and "
                    + "pocl-opencl-icd, or the GPU vendor's driver), or set -D" + LIBRARY_PROPERTY + "=PATH");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            int rc = cl.getPlatformIDs(0, MemorySegment.NULL, count);
            if (rc == ClErrors.CL_PLATFORM_NOT_FOUND_KHR || (rc == ClErrors.CL_SUCCESS && count.get(JAVA_INT, 0) == 0)) {
                return Discovery.none("no OpenCL platform is installed (clGetPlatformIDs: "
                        + ClErrors.name(ClErrors.CL_PLATFORM_NOT_FOUND_KHR) + "); install a driver that registers "
                        + "an ICD in /etc/OpenCL/vendors (for example pocl-opencl-icd or the GPU vendor's driver)");
            }
            if (rc != ClErrors.CL_SUCCESS) {
                return Discovery.none("clGetPlatformIDs failed: " + ClErrors.name(rc)
                        + "; check the OpenCL driver installation (clinfo -l)");
            }
            int platformCount = count.get(JAVA_INT, 0);
            MemorySegment platforms = arena.allocate(ADDRESS, platformCount);
            ClErrors.check(cl.getPlatformIDs(platformCount, platforms, MemorySegment.NULL), "clGetPlatformIDs", library);
            List<Device> devices = new ArrayList<>();
            List<String> platformNames = new ArrayList<>();
            for (int p = 0; p < platformCount; p++) {
                MemorySegment platform = platforms.getAtIndex(ADDRESS, p);
                String platformName = platformInfo(cl, platform, OpenCl.CL_PLATFORM_NAME, "CL_PLATFORM_NAME", p);
                String platformVersion = platformInfo(cl, platform, OpenCl.CL_PLATFORM_VERSION, "CL_PLATFORM_VERSION", p);
                platformNames.add(platformName);
                for (MemorySegment handle : platformDevices(cl, platform, platformName, arena)) {
                    devices.add(new OpenClDevice(cl, handle, devices.size(), platformName, platformVersion));
                }
            }
            warnIfSignalHandlersUnchained(platformNames);
            if (devices.isEmpty()) {
                return Discovery.none("the OpenCL platforms " + platformNames + " have no devices; check the driver (clinfo -l)");
            }
            return new Discovery(List.copyOf(devices), Optional.empty());
        } catch (ElattnRuntimeException e) {
            return Discovery.none("listing OpenCL devices failed: " + e.getMessage());
        }
    }

    /**
     * NVIDIA's OpenCL library installs signal handlers without chaining to the JVM's, and HotSpot
     * relies on SIGSEGV for null checks and safepoints: a Java thread can then kill the process
     * with no crash log (seen on H100/H200 with the JVM backend busy). The JVM's own libjsig
     * chains them; the {@code elattn} launcher preloads it.
     */
    private static void warnIfSignalHandlersUnchained(List<String> platformNames) {
        boolean nvidia = platformNames.stream().anyMatch(n -> n.contains("NVIDIA"));
        String preload = System.getenv().getOrDefault("LD_PRELOAD", "");
        if (nvidia && !preload.contains("libjsig")) {
            LOG.warn("NVIDIA OpenCL replaces the JVM's signal handlers and can crash it; start java with "
                    + "LD_PRELOAD=$JAVA_HOME/lib/libjsig.so (the elattn launcher does this)");
        }
    }

    private static String platformInfo(OpenCl cl, MemorySegment platform, int param, String paramName, int index) {
        return OpenCl.infoString((size, value, ret) -> cl.getPlatformInfo(platform, param, size, value, ret),
                "clGetPlatformInfo(" + paramName + ")", "platform " + index);
    }

    private static List<MemorySegment> platformDevices(OpenCl cl, MemorySegment platform, String platformName, Arena arena) {
        MemorySegment count = arena.allocate(JAVA_INT);
        int rc = cl.getDeviceIDs(platform, OpenCl.CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, count);
        if (rc == ClErrors.CL_DEVICE_NOT_FOUND) {
            return List.of();
        }
        if (rc != ClErrors.CL_SUCCESS) {
            // One broken platform must not hide the devices of the others.
            LOG.warn("skipping OpenCL platform {}: clGetDeviceIDs failed with {}", platformName, ClErrors.name(rc));
            return List.of();
        }
        int n = count.get(JAVA_INT, 0);
        MemorySegment handles = arena.allocate(ADDRESS, n);
        ClErrors.check(cl.getDeviceIDs(platform, OpenCl.CL_DEVICE_TYPE_ALL, n, handles, MemorySegment.NULL),
                "clGetDeviceIDs", "platform " + platformName);
        List<MemorySegment> result = new ArrayList<>(n);
        for (int d = 0; d < n; d++) {
            result.add(handles.getAtIndex(ADDRESS, d));
        }
        return result;
    }
}
