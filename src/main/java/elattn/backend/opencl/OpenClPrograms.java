package elattn.backend.opencl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import elattn.compiler.IndexChecks;
import elattn.runtime.ElattnRuntimeException;
import elattn.runtime.KernelBinaryCache;
import elattn.runtime.KernelBuildException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The programs built on one OpenCL device, shared by all its sessions (they work in the device's
 * one context): each source is built once per process and build (plain or with its index checks),
 * from its binary in the {@link KernelBinaryCache} where an earlier process left one, so that a new
 * execution plan, such as one for a new batch shape, starts without the driver's compiler. Sessions
 * make their own {@code cl_kernel}s from these programs (a kernel's arguments are per object).
 * Programs are never released: the driver frees them with the context when the process exits.
 *
 * <p>A binary on disk is keyed by the source, the build options and the platform, device and
 * driver with their versions ({@link OpenClDevice#compilerIdentity()}); one the driver refuses is
 * ignored and rebuilt from source.
 */
final class OpenClPrograms {
    private static final Logger LOG = LoggerFactory.getLogger(OpenClPrograms.class);

    private final OpenClDevice device;
    private final OpenCl cl;
    private final KernelBinaryCache disk;
    private final String where;
    private final Map<Key, MemorySegment> built = new HashMap<>();
    private int builds;
    private int diskLoads;

    OpenClPrograms(OpenClDevice device, KernelBinaryCache disk) {
        this.device = device;
        this.cl = device.cl();
        this.disk = disk;
        this.where = device.toString();
    }

    /** A cached program: its source and whether its index checks are compiled in. */
    private record Key(String source, boolean checked) {
    }

    /**
     * The program of {@code source} (kernel {@code name}, for messages), built with its index checks
     * if {@code checked}: built already, built from its binary on disk, or built from source now.
     * Throws {@link KernelBuildException} with the driver's log when the source does not build.
     */
    synchronized MemorySegment program(String name, String source, boolean checked) {
        Key key = new Key(source, checked);
        MemorySegment program = built.get(key);
        if (program == null) {
            program = buildNew(name, source, checked);
            built.put(key, program);
        }
        return program;
    }

    /** How many programs this device built from source. */
    synchronized int builds() {
        return builds;
    }

    /** How many programs this device built from a binary of the disk cache instead. */
    synchronized int diskLoads() {
        return diskLoads;
    }

    private MemorySegment buildNew(String name, String source, boolean checked) {
        long start = System.nanoTime();
        String options = checked ? "-D" + IndexChecks.DEFINE : "";
        String diskKey = KernelBinaryCache.key("opencl", source, options, device.compilerIdentity());
        Optional<byte[]> stored = disk.read(diskKey);
        MemorySegment program = stored.isPresent() ? fromBinary(diskKey, stored.get(), options) : null;
        boolean fromSource = program == null;
        if (fromSource) {
            program = fromSource(name, source, options);
            builds++;
            byte[] binary = binary(program);
            if (binary != null) {
                disk.write(diskKey, binary);
            }
        } else {
            diskLoads++;
        }
        LOG.debug("built OpenCL program of {}{} on {} ({}) from {} in {} ms", name, checked ? " with index checks" : "",
                where, device.version(), fromSource ? "source" : "the kernel cache", (System.nanoTime() - start) / 1_000_000);
        return program;
    }

    private MemorySegment fromSource(String name, String source, String options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(JAVA_INT);
            MemorySegment program = cl.createProgramWithSource(device.context(), source, err);
            ClErrors.check(err.get(JAVA_INT, 0), "clCreateProgramWithSource", where);
            try {
                int rc = cl.buildProgram(program, device.handle(), options);
                if (rc == ClErrors.CL_BUILD_PROGRAM_FAILURE) {
                    throw new KernelBuildException(name, where, buildLog(program));
                }
                ClErrors.check(rc, "clBuildProgram of kernel " + name, where);
                return program;
            } catch (RuntimeException e) {
                cl.releaseProgram(program);
                throw e;
            }
        }
    }

    /** The program built from a binary of the disk cache; null, with the entry ignored, if the driver refuses it. */
    private MemorySegment fromBinary(String diskKey, byte[] binary, String options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment err = arena.allocate(JAVA_INT);
            MemorySegment status = arena.allocate(JAVA_INT);
            MemorySegment program = cl.createProgramWithBinary(device.context(), device.handle(), binary, status, err);
            int rc = err.get(JAVA_INT, 0);
            if (rc != ClErrors.CL_SUCCESS) {
                disk.ignore(diskKey, "the driver refused it: clCreateProgramWithBinary returned " + ClErrors.name(rc));
                return null;
            }
            rc = cl.buildProgram(program, device.handle(), options);
            if (rc != ClErrors.CL_SUCCESS) {
                cl.releaseProgram(program);
                disk.ignore(diskKey, "the driver refused it: clBuildProgram returned " + ClErrors.name(rc));
                return null;
            }
            return program;
        }
    }

    /**
     * The device's binary of a built program ({@code CL_PROGRAM_BINARIES}); null where the driver
     * gives none, so the program is not cached.
     */
    private byte[] binary(MemorySegment program) {
        try (Arena arena = Arena.ofConfined()) {
            long size = OpenCl.infoLong((n, value, ret) -> cl.getProgramInfo(program, OpenCl.CL_PROGRAM_BINARY_SIZES,
                    n, value, ret), "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)", where);
            if (size <= 0) {
                return null;
            }
            MemorySegment image = arena.allocate(size);
            MemorySegment pointers = arena.allocateFrom(ADDRESS, image);
            ClErrors.check(cl.getProgramInfo(program, OpenCl.CL_PROGRAM_BINARIES, pointers.byteSize(), pointers,
                    MemorySegment.NULL), "clGetProgramInfo(CL_PROGRAM_BINARIES)", where);
            return image.toArray(JAVA_BYTE);
        } catch (ElattnRuntimeException e) {
            LOG.debug("no binary of a program on {} to cache: {}", where, e.getMessage());
            return null;
        }
    }

    private String buildLog(MemorySegment program) {
        return OpenCl.infoString((size, value, ret) -> cl.getProgramBuildInfo(program, device.handle(),
                OpenCl.CL_PROGRAM_BUILD_LOG, size, value, ret), "clGetProgramBuildInfo(CL_PROGRAM_BUILD_LOG)", where);
    }
}
