package elattn.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;

/**
 * Zero-filled host memory whose pages the operating system commits only when they are first
 * written: an anonymous {@code mmap} on Linux, unmapped when the segment becomes unreachable.
 * The host mirrors of device-resident arrays ({@link FloatArray#deviceResident}) use it, so a
 * batch's gigabytes of caches and scratch cost no host memory and no zero-filling time unless
 * the host actually reads them back. Elsewhere (or if the call fails) it falls back to an
 * ordinary zero-filled allocation.
 */
final class LazyHostMemory {
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    /** MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, Linux values. */
    private static final int MAP_FLAGS = 0x02 | 0x20 | 0x4000;
    private static final Optional<Calls> CALLS = linux() ? Calls.find() : Optional.empty();

    private record Calls(MethodHandle mmap, MethodHandle munmap) {
        static Optional<Calls> find() {
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                MethodHandle mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_LONG));
                MethodHandle munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                return Optional.of(new Calls(mmap, munmap));
            } catch (RuntimeException | LinkageError e) {
                return Optional.empty(); // no native access: ordinary allocations
            }
        }
    }

    private LazyHostMemory() {
    }

    /** {@code bytes} of zeros, freed by the garbage collector once unreachable. */
    static MemorySegment allocate(long bytes) {
        if (bytes > 0 && CALLS.isPresent()) {
            try {
                MemorySegment at = (MemorySegment) CALLS.get().mmap().invokeExact(MemorySegment.NULL, bytes,
                        PROT_READ_WRITE, MAP_FLAGS, -1, 0L);
                if (at.address() != -1L) {
                    MethodHandle munmap = CALLS.get().munmap();
                    return at.reinterpret(bytes, Arena.ofAuto(), s -> unmap(munmap, s));
                }
            } catch (Throwable e) {
                // fall through to an ordinary allocation
            }
        }
        return Arena.ofAuto().allocate(Math.max(bytes, 0), NativeArray.ALIGNMENT);
    }

    private static void unmap(MethodHandle munmap, MemorySegment s) {
        try {
            int ignored = (int) munmap.invokeExact(s, s.byteSize());
        } catch (Throwable e) {
            throw new IllegalStateException("munmap failed", e);
        }
    }

    private static boolean linux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
    }
}
