package elattn.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One loaded shared library and the downcall handles made from it. Kept apart from the CUDA
 * bindings so that they read as a list of C signatures, and so that a missing library or symbol
 * becomes a {@link LinkFailure} with a message saying what was tried, never a crash.
 */
final class NativeLibrary {
    private static final Linker LINKER = Linker.nativeLinker();

    private final String name;
    private final SymbolLookup lookup;

    private NativeLibrary(String name, SymbolLookup lookup) {
        this.name = name;
        this.lookup = lookup;
    }

    /**
     * Loads the first of {@code candidates} that the dynamic loader can open (names are searched on
     * the loader's path, absolute paths are opened as they are). The library stays loaded for the
     * life of the JVM, as drivers must.
     */
    static NativeLibrary load(String what, List<String> candidates) {
        List<String> failures = new ArrayList<>();
        for (String candidate : candidates) {
            try {
                return new NativeLibrary(candidate, SymbolLookup.libraryLookup(candidate, Arena.global()));
            } catch (IllegalArgumentException e) {
                failures.add(candidate);
            }
        }
        throw new LinkFailure(what + " not found (tried " + String.join(", ", failures) + ")");
    }

    /** The library names to try: {@code override} alone when the user gave one, else the defaults. */
    static List<String> candidates(String override, List<String> names, List<Path> directories) {
        if (override != null && !override.isBlank()) {
            return List.of(override);
        }
        List<String> out = new ArrayList<>(names);
        for (Path dir : directories) {
            for (String n : names) {
                Path p = dir.resolve(n);
                if (Files.exists(p)) {
                    out.add(p.toString());
                }
            }
        }
        return out;
    }

    String name() {
        return name;
    }

    /** A downcall handle for the first of {@code symbols} the library exports. */
    MethodHandle function(FunctionDescriptor signature, String... symbols) {
        for (String symbol : symbols) {
            var address = lookup.find(symbol);
            if (address.isPresent()) {
                return LINKER.downcallHandle(address.get(), signature);
            }
        }
        throw new LinkFailure(name + " lacks " + String.join(" and ", symbols) + " (the library is too old)");
    }

    /** Whether the library exports {@code symbol}. */
    boolean has(String symbol) {
        return lookup.find(symbol).isPresent();
    }

    /** A C string read from a native {@code const char*}; {@code fallback} when it is NULL. */
    static String string(MemorySegment cString, String fallback) {
        return cString.equals(MemorySegment.NULL) ? fallback : cString.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** A library or one of its symbols could not be found or linked. */
    static final class LinkFailure extends RuntimeException {
        LinkFailure(String message) {
            super(message);
        }
    }
}
