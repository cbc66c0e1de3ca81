package elattn.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk cache of compiled kernels without a device: where it is, how entries are named, and
 * that only an intact entry is ever handed back. Backends against real drivers:
 * {@code elattn.testing.KernelCacheContract}.
 */
class KernelBinaryCacheTest {
    private static final byte[] BINARY = "\u007fELF pretend this is a cubin".getBytes();

    @Test
    void theFolderIsThePropertyElseTheVariableElseXdgElseHome() {
        Map<String, String> env = Map.of(KernelBinaryCache.ENVIRONMENT, "/env/k", "XDG_CACHE_HOME", "/xdg");
        assertEquals(Optional.of(Path.of("/prop/k")), KernelBinaryCache.folder("/prop/k", env, "/home/u"));
        assertEquals(Optional.of(Path.of("/env/k")), KernelBinaryCache.folder(null, env, "/home/u"));
        assertEquals(Optional.of(Path.of("/env/k")), KernelBinaryCache.folder(" ", env, "/home/u"));
        assertEquals(Optional.of(Path.of("/xdg/elattn/kernels")),
                KernelBinaryCache.folder(null, Map.of("XDG_CACHE_HOME", "/xdg"), "/home/u"));
        assertEquals(Optional.of(Path.of("/home/u/.cache/elattn/kernels")),
                KernelBinaryCache.folder(null, Map.of("XDG_CACHE_HOME", ""), "/home/u"));
    }

    @Test
    void offTurnsItOffFromEitherSetting() {
        assertEquals(Optional.empty(), KernelBinaryCache.folder("off", Map.of(), "/home/u"));
        assertEquals(Optional.empty(), KernelBinaryCache.folder(null, Map.of(KernelBinaryCache.ENVIRONMENT, "OFF"), "/h"));
        assertEquals(Optional.of(Path.of("/prop")),
                KernelBinaryCache.folder("/prop", Map.of(KernelBinaryCache.ENVIRONMENT, "off"), "/h"));
        KernelBinaryCache off = KernelBinaryCache.off();
        off.write("cuda-x", BINARY);
        assertEquals(Optional.empty(), off.read("cuda-x"));
        assertEquals(Optional.empty(), off.folder());
    }

    @Test
    void keysDependOnEveryPartAndWhereOneEnds() {
        String key = KernelBinaryCache.key("cuda", "source", "options");
        assertTrue(key.matches("cuda-[0-9a-f]{64}"), key);
        assertEquals(key, KernelBinaryCache.key("cuda", "source", "options"));
        assertNotEquals(key, KernelBinaryCache.key("opencl", "source", "options"));
        assertNotEquals(key, KernelBinaryCache.key("cuda", "source", "options -DELATTN_CHECKED"));
        assertNotEquals(KernelBinaryCache.key("cuda", "ab", "c"), KernelBinaryCache.key("cuda", "a", "bc"));
    }

    @Test
    void anEntryReadsBackAsWrittenAndNoTemporaryFileStays(@TempDir Path dir) throws IOException {
        KernelBinaryCache cache = KernelBinaryCache.in(dir.resolve("new/folder"));
        assertEquals(Optional.empty(), cache.read("cuda-a"));
        cache.write("cuda-a", BINARY);
        assertArrayEquals(BINARY, cache.read("cuda-a").orElseThrow());
        assertArrayEquals(BINARY, KernelBinaryCache.in(dir.resolve("new/folder")).read("cuda-a").orElseThrow());
        byte[] other = "another".getBytes();
        cache.write("cuda-a", other);
        assertArrayEquals(other, cache.read("cuda-a").orElseThrow());
        assertEquals(List.of(dir.resolve("new/folder/cuda-a.bin")), files(dir.resolve("new/folder")));
    }

    @Test
    void aDamagedEntryIsNeverHandedBack(@TempDir Path dir) throws IOException {
        KernelBinaryCache cache = KernelBinaryCache.in(dir);
        cache.write("opencl-a", BINARY);
        Path file = files(dir).getFirst();
        byte[] entry = Files.readAllBytes(file);
        byte[] flipped = entry.clone();
        flipped[flipped.length - 1] ^= 1;
        byte[] truncated = Arrays.copyOf(entry, entry.length - 1);
        byte[] headerOnly = Arrays.copyOf(entry, entry.length - BINARY.length);
        byte[] notAnEntry = BINARY;
        for (byte[] damaged : List.of(flipped, truncated, headerOnly, notAnEntry, new byte[0])) {
            Files.write(file, damaged);
            assertEquals(Optional.empty(), cache.read("opencl-a"), () -> damaged.length + " bytes");
        }
        cache.write("opencl-a", BINARY);
        assertArrayEquals(BINARY, cache.read("opencl-a").orElseThrow());
    }

    @Test
    void aFolderThatCannotBeWrittenIsNoError(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "in the way");
        KernelBinaryCache cache = KernelBinaryCache.in(file);
        cache.write("cuda-a", BINARY);
        cache.write("cuda-b", BINARY);
        assertEquals(Optional.empty(), cache.read("cuda-a"));
        assertEquals("in the way", Files.readString(file));
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
