package elattn.backend.cuda;

import elattn.compiler.DynamicLocalMemory;
import elattn.compiler.IndexChecks;
import elattn.runtime.ElattnRuntimeException;
import elattn.runtime.KernelBinaryCache;
import elattn.runtime.KernelBuildException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernels loaded on one CUDA device, shared by all its sessions: each source is compiled by
 * NVRTC (or read from the {@link KernelBinaryCache}) and loaded into the device's primary context
 * once per process and build (plain or with its index checks), so that a new execution plan, such
 * as one for a new batch shape, starts without compiling anything.
 *
 * <p>Modules live as long as the primary context, which every session retains and releases: the
 * first load here retains it once more and nothing releases that, so the context, and the modules
 * in it, outlive the sessions; the driver frees them when the process exits.
 *
 * <p>NVRTC compiles for the device's real architecture ({@code sm_90} on an H100: a CUBIN, nothing
 * left for the driver to compile) when it supports it, else for the newest virtual architecture
 * below it (PTX, which the driver compiles for the device). Either is what the disk cache stores,
 * keyed by the source, the options, NVRTC's and the driver's versions and the compute capability.
 */
final class CudaModules {
    private static final Logger LOG = LoggerFactory.getLogger(CudaModules.class);
    private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};

    private final CudaDevice device;
    private final CudaDriver cu;
    private final KernelBinaryCache disk;
    private final String where;
    private final Map<Key, Loaded> loaded = new HashMap<>();
    /** The primary context, retained by the first load; null before. */
    private MemorySegment context;
    /** What NVRTC compiles for and the versions a binary depends on; read at the first load. */
    private Compiler compiler;
    private int builds;
    private int diskLoads;

    CudaModules(CudaDevice device, KernelBinaryCache disk) {
        this.device = device;
        this.cu = device.driver();
        this.disk = disk;
        this.where = device.toString();
    }

    /** A cached kernel: the source of its function and whether its index checks are compiled in. */
    private record Key(String functionName, String source, boolean checked) {
    }

    /**
     * A kernel function loaded on the device: what launching it needs, and the image its module was
     * loaded from (a CUBIN or PTX) with the PTX where there is one, for {@code -Delattn.dumpKernels}.
     */
    record Loaded(MemorySegment function, int sharedBytes, byte[] image, byte[] ptx) {
        boolean isCubin() {
            return CudaModules.isCubin(image);
        }
    }

    /** The NVRTC target ({@code sm_90} or {@code compute_86}) and what else a binary depends on. */
    private record Compiler(String architecture, boolean cubin, String nvrtcVersion, int driverVersion) {
    }

    /**
     * The function {@code functionName} of {@code source}, built with its index checks if
     * {@code checked}: loaded already, loaded from the disk cache, or compiled and loaded now.
     * The caller has made the device's primary context current. Throws
     * {@link KernelBuildException} with NVRTC's log when the source does not compile.
     */
    synchronized Loaded load(String name, String functionName, String source, boolean checked) {
        Key key = new Key(functionName, source, checked);
        Loaded found = loaded.get(key);
        if (found == null) {
            if (context == null) {
                context = cu.primaryContextRetain(device.handle(), where);
            }
            found = loadNew(name, functionName, source, checked);
            loaded.put(key, found);
        }
        return found;
    }

    /** How many kernels this device compiled with NVRTC. */
    synchronized int builds() {
        return builds;
    }

    /** How many kernels this device loaded from the disk cache instead of compiling them. */
    synchronized int diskLoads() {
        return diskLoads;
    }

    private Loaded loadNew(String name, String functionName, String source, boolean checked) {
        Compiler c = compiler();
        List<String> options = new ArrayList<>(List.of("--gpu-architecture=" + c.architecture()));
        if (checked) {
            options.add("-D" + IndexChecks.DEFINE);
        }
        String diskKey = KernelBinaryCache.key("cuda", source, String.join(" ", options), "NVRTC " + c.nvrtcVersion(),
                "driver " + c.driverVersion(), "compute capability " + device.computeCapability());
        MemorySegment module = null;
        byte[] image = null;
        byte[] ptx = null;
        Optional<byte[]> stored = disk.read(diskKey);
        if (stored.isPresent()) {
            try {
                module = moduleLoad(stored.get());
                image = stored.get();
                ptx = isCubin(image) ? null : image;
                diskLoads++;
            } catch (CudaException e) {
                disk.ignore(diskKey, "the driver refused it: " + e.getMessage());
            }
        }
        boolean built = module == null;
        if (built) {
            Nvrtc.Output out = device.nvrtc().compile(source, name + ".cu", options, c.cubin(), where);
            builds++;
            if (!out.succeeded()) {
                throw new KernelBuildException(name, where, out.log());
            }
            try {
                module = moduleLoad(out.image());
            } catch (CudaException e) {
                throw new KernelBuildException(name, where, "NVRTC " + c.nvrtcVersion() + " built "
                        + (c.cubin() ? "a CUBIN" : "PTX") + " for " + c.architecture() + " that the driver "
                        + c.driverVersion() + " cannot load: " + e.getMessage()
                        + "\n(use an NVRTC no newer than the driver, or update the driver)");
            }
            image = out.image();
            ptx = out.ptx();
        }
        Loaded result;
        try {
            MemorySegment function = cu.moduleGetFunction(module, functionName, where);
            int sharedBytes = DynamicLocalMemory.bytes(source);
            allowSharedMemory(name, function, sharedBytes);
            result = new Loaded(function, sharedBytes, image, ptx);
        } catch (RuntimeException e) {
            unloadQuietly(module);
            throw e;
        }
        if (built) {
            disk.write(diskKey, image);
        }
        LOG.debug("{} {}{} for {} ({}{})", built ? "built" : "loaded from the kernel cache", name,
                checked ? " with index checks" : "", where, c.architecture(),
                result.sharedBytes() > 0 ? ", " + result.sharedBytes() + " bytes of dynamic shared memory" : "");
        return result;
    }

    private Compiler compiler() {
        if (compiler == null) {
            Nvrtc nvrtc = device.nvrtc();
            String target = target(device.computeCapability(), nvrtc.supportedArchitectures());
            compiler = new Compiler(target, target.startsWith("sm_"), nvrtc.version(), cu.driverVersion());
        }
        return compiler;
    }

    /**
     * NVRTC's {@code --gpu-architecture}: {@code sm_CC}, the device's own, if NVRTC supports it
     * (the output is then a CUBIN); else {@code compute_A} for the newest supported {@code A} below.
     */
    static String target(int computeCapability, int[] supported) {
        return Arrays.stream(supported).anyMatch(arch -> arch == computeCapability)
                ? "sm_" + computeCapability
                : "compute_" + architecture(computeCapability, supported);
    }

    /**
     * The virtual architecture to compile for: the device's compute capability if NVRTC supports
     * it, else the newest one below it (the driver compiles PTX for newer devices).
     */
    static int architecture(int computeCapability, int[] supported) {
        int best = -1;
        for (int arch : supported) {
            if (arch <= computeCapability) {
                best = Math.max(best, arch);
            }
        }
        if (best < 0) {
            throw new ElattnRuntimeException("this NVRTC cannot compile for compute capability "
                    + computeCapability / 10 + "." + computeCapability % 10 + " (its oldest target is compute_"
                    + (supported.length == 0 ? "?" : supported[0]) + "); use an older CUDA toolkit's NVRTC via"
                    + " -Delattn.nvrtc.library, or the opencl backend");
        }
        return best;
    }

    private MemorySegment moduleLoad(byte[] image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment data = a.allocate(image.length);
            data.copyFrom(MemorySegment.ofArray(image));
            return cu.moduleLoadData(data, where);
        }
    }

    private void allowSharedMemory(String name, MemorySegment function, int sharedBytes) {
        if (sharedBytes > 0) {
            int result = cu.allowDynamicSharedMemory(function, sharedBytes);
            if (result != CudaDriver.CUDA_SUCCESS) {
                throw new KernelBuildException(name, where, "its local arrays take " + sharedBytes + " bytes of"
                        + " shared memory, which this GPU does not give one block (" + cu.errorName(result)
                        + "); run it on a GPU with more shared memory per block (compute capability 8.0+ has at"
                        + " least 99 KiB), or use the portable kernel its Javadoc names");
            }
        }
    }

    private void unloadQuietly(MemorySegment module) {
        try {
            cu.moduleUnload(module, where);
        } catch (CudaException e) {
            LOG.debug("cuModuleUnload after a failed load on {}: {}", where, e.getMessage());
        }
    }

    /** Whether {@code image} is a CUBIN (an ELF file) rather than PTX text. */
    static boolean isCubin(byte[] image) {
        return image.length >= ELF_MAGIC.length && Arrays.equals(image, 0, ELF_MAGIC.length, ELF_MAGIC, 0, ELF_MAGIC.length);
    }
}
