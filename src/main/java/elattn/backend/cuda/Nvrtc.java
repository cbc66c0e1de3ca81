package elattn.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * NVRTC, CUDA's run-time compiler, through FFM: CUDA C in, a CUBIN (for a real architecture,
 * {@code sm_90}) or PTX (for a virtual one, {@code compute_90}) out. Looks for
 * {@code -Delattn.nvrtc.library} if given, else {@code libnvrtc.so.13}, {@code .so.12},
 * {@code libnvrtc.so} on the loader's path and in the usual CUDA folders. Compiles with IEEE
 * float semantics (no {@code --use_fast_math}), so results match the JVM backend's up to rounding.
 */
final class Nvrtc {
    private static final int NVRTC_SUCCESS = 0;
    private static final int NVRTC_ERROR_COMPILATION = 6;
    private static final List<String> NAMES = List.of("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so");

    private final NativeLibrary lib;
    private final MethodHandle nvrtcVersion, nvrtcGetErrorString, nvrtcGetNumSupportedArchs, nvrtcGetSupportedArchs;
    private final MethodHandle nvrtcCreateProgram, nvrtcCompileProgram, nvrtcDestroyProgram;
    private final MethodHandle nvrtcGetProgramLogSize, nvrtcGetProgramLog, nvrtcGetPTXSize, nvrtcGetPTX;
    private final MethodHandle nvrtcGetCUBINSize, nvrtcGetCUBIN;

    private Nvrtc(NativeLibrary lib) {
        this.lib = lib;
        FunctionDescriptor intOfAddress = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        FunctionDescriptor intOfTwoAddresses = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
        nvrtcVersion = lib.function(intOfTwoAddresses, "nvrtcVersion");
        nvrtcGetErrorString = lib.function(FunctionDescriptor.of(ADDRESS, JAVA_INT), "nvrtcGetErrorString");
        nvrtcGetNumSupportedArchs = lib.function(intOfAddress, "nvrtcGetNumSupportedArchs");
        nvrtcGetSupportedArchs = lib.function(intOfAddress, "nvrtcGetSupportedArchs");
        nvrtcCreateProgram = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT,
                ADDRESS, ADDRESS), "nvrtcCreateProgram");
        nvrtcCompileProgram = lib.function(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS),
                "nvrtcCompileProgram");
        nvrtcDestroyProgram = lib.function(intOfAddress, "nvrtcDestroyProgram");
        nvrtcGetProgramLogSize = lib.function(intOfTwoAddresses, "nvrtcGetProgramLogSize");
        nvrtcGetProgramLog = lib.function(intOfTwoAddresses, "nvrtcGetProgramLog");
        nvrtcGetPTXSize = lib.function(intOfTwoAddresses, "nvrtcGetPTXSize");
        nvrtcGetPTX = lib.function(intOfTwoAddresses, "nvrtcGetPTX");
        nvrtcGetCUBINSize = lib.function(intOfTwoAddresses, "nvrtcGetCUBINSize");
        nvrtcGetCUBIN = lib.function(intOfTwoAddresses, "nvrtcGetCUBIN");
    }

    /** Loads NVRTC; throws {@link NativeLibrary.LinkFailure} naming what was tried when none loads. */
    static Nvrtc load() {
        List<Path> dirs = new ArrayList<>();
        for (String env : List.of("CUDA_HOME", "CUDA_PATH")) {
            String home = System.getenv(env);
            if (home != null && !home.isBlank()) {
                dirs.add(Path.of(home, "lib64"));
            }
        }
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        dirs.add(Path.of("/usr/local/cuda/targets/x86_64-linux/lib"));
        List<String> names = NativeLibrary.candidates(System.getProperty("elattn.nvrtc.library"), NAMES, dirs);
        return new Nvrtc(NativeLibrary.load("NVRTC, the CUDA run-time compiler (libnvrtc.so.13 or .12)", names));
    }

    String libraryName() {
        return lib.name();
    }

    /** {@code major.minor} of this NVRTC. */
    String version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(JAVA_INT), minor = a.allocate(JAVA_INT);
            check("nvrtcVersion", (int) nvrtcVersion.invokeExact(major, minor), "NVRTC");
            return major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw CudaDriver.linkageBug(t);
        }
    }

    /** The virtual architectures this NVRTC can target, as {@code 10*major+minor}, ascending. */
    int[] supportedArchitectures() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(JAVA_INT);
            check("nvrtcGetNumSupportedArchs", (int) nvrtcGetNumSupportedArchs.invokeExact(count), "NVRTC");
            MemorySegment archs = a.allocate(JAVA_INT, Math.max(1, count.get(JAVA_INT, 0)));
            check("nvrtcGetSupportedArchs", (int) nvrtcGetSupportedArchs.invokeExact(archs), "NVRTC");
            return archs.asSlice(0, count.get(JAVA_INT, 0) * JAVA_INT.byteSize()).toArray(JAVA_INT);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw CudaDriver.linkageBug(t);
        }
    }

    /**
     * What one compilation produced and the log. On success {@code image} is what
     * {@code cuModuleLoadData} takes: the CUBIN when one was asked for, else the PTX; {@code ptx} is
     * the PTX (NUL-terminated) where NVRTC gives it, else null. A failed compilation has neither.
     */
    record Output(byte[] image, byte[] ptx, String log) {
        boolean succeeded() {
            return image != null;
        }
    }

    /**
     * Compiles {@code source} (named {@code fileName} in messages) with {@code options}, for a CUBIN
     * if {@code cubin} (the options must then name a real architecture), else for PTX. A source that
     * does not compile gives an {@link Output} without an image and with NVRTC's log; any other
     * NVRTC failure throws a {@link CudaException} naming {@code device}.
     */
    Output compile(String source, String fileName, List<String> options, boolean cubin, String device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment programOut = a.allocate(ADDRESS);
            check("nvrtcCreateProgram", (int) nvrtcCreateProgram.invokeExact(programOut, a.allocateFrom(source),
                    a.allocateFrom(fileName), 0, MemorySegment.NULL, MemorySegment.NULL), device);
            MemorySegment program = programOut.get(ADDRESS, 0);
            try {
                MemorySegment opts = a.allocate(ADDRESS, Math.max(1, options.size()));
                for (int i = 0; i < options.size(); i++) {
                    opts.setAtIndex(ADDRESS, i, a.allocateFrom(options.get(i)));
                }
                int result = (int) nvrtcCompileProgram.invokeExact(program, options.size(), opts);
                String log = text(program, nvrtcGetProgramLogSize, nvrtcGetProgramLog, "nvrtcGetProgramLog", device, a);
                if (result == NVRTC_ERROR_COMPILATION) {
                    return new Output(null, null, log);
                }
                check("nvrtcCompileProgram", result, device);
                if (!cubin) {
                    byte[] ptx = bytes(program, nvrtcGetPTXSize, nvrtcGetPTX, "nvrtcGetPTX", device, a).toArray(JAVA_BYTE);
                    return new Output(ptx, ptx, log);
                }
                byte[] image = bytes(program, nvrtcGetCUBINSize, nvrtcGetCUBIN, "nvrtcGetCUBIN", device, a)
                        .toArray(JAVA_BYTE);
                return new Output(image, ptxIfKept(program, a), log);
            } finally {
                check("nvrtcDestroyProgram", (int) nvrtcDestroyProgram.invokeExact(programOut), device);
            }
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw CudaDriver.linkageBug(t);
        }
    }

    /** The PTX behind a CUBIN, for {@code -Delattn.dumpKernels}; null where this NVRTC keeps none. */
    private byte[] ptxIfKept(MemorySegment program, Arena a) throws Throwable {
        MemorySegment n = a.allocate(JAVA_LONG);
        if ((int) nvrtcGetPTXSize.invokeExact(program, n) != NVRTC_SUCCESS || n.get(JAVA_LONG, 0) <= 1) {
            return null;
        }
        MemorySegment out = a.allocate(n.get(JAVA_LONG, 0));
        return (int) nvrtcGetPTX.invokeExact(program, out) == NVRTC_SUCCESS ? out.toArray(JAVA_BYTE) : null;
    }

    private String text(MemorySegment program, MethodHandle size, MethodHandle get, String call, String device,
            Arena a) throws Throwable {
        return bytes(program, size, get, call, device, a).getString(0).strip();
    }

    /** A result of the program (log, PTX or CUBIN) read with its size and get calls. */
    private MemorySegment bytes(MemorySegment program, MethodHandle size, MethodHandle get, String call,
            String device, Arena a) throws Throwable {
        MemorySegment n = a.allocate(JAVA_LONG);
        check(call + "Size", (int) size.invokeExact(program, n), device);
        MemorySegment out = a.allocate(Math.max(1, n.get(JAVA_LONG, 0)));
        check(call, (int) get.invokeExact(program, out), device);
        return out;
    }

    private void check(String call, int result, String device) throws Throwable {
        if (result != NVRTC_SUCCESS) {
            String name = NativeLibrary.string((MemorySegment) nvrtcGetErrorString.invokeExact(result),
                    "nvrtcResult " + result);
            throw new CudaException(call, result, name, device);
        }
    }
}
