package elattn.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.compiler.features.LanguageFeatureKernels;
import elattn.tasks.LayerNorm;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The index checks in the generated C ({@link IndexChecks}): present in every kernel behind the
 * preprocessor, absent from a plain build (so unchecked kernels are the kernels as before), the same
 * array ids in the OpenCL C and the CUDA C (the backends read either), arrays named by the marker,
 * fault parameters only on device functions that check, constant indexes within local and private
 * arrays left unchecked.
 */
class IndexChecksSourceTest {
    private static final String IFDEF = "#ifdef " + IndexChecks.DEFINE + "\n";

    /** Every generated .cl and .cu of the main and test kernels (from class folders, not jars). */
    static Stream<Path> generatedSources() throws IOException, URISyntaxException {
        List<Path> files = new ArrayList<>();
        for (URL root : Collections.list(IndexChecksSourceTest.class.getClassLoader()
                .getResources(KernelNames.RESOURCE_ROOT))) {
            if (root.getProtocol().equals("file")) {
                try (Stream<Path> s = Files.walk(Path.of(root.toURI()))) {
                    s.filter(p -> p.toString().endsWith(".cl") || p.toString().endsWith(".cu")).sorted().forEach(files::add);
                }
            }
        }
        assertTrue(files.size() > 100, "expected the generated sources of the main and test kernels, found " + files);
        return files.stream();
    }

    static Stream<Path> openClSources() throws IOException, URISyntaxException {
        return generatedSources().filter(p -> p.toString().endsWith(".cl"));
    }

    private static String resource(Class<?> owner, String kernel, String suffix) throws IOException {
        String path = "/" + KernelNames.RESOURCE_ROOT + owner.getName().replace('.', '/') + "/" + kernel + suffix;
        try (InputStream in = owner.getResourceAsStream(path)) {
            assertTrue(in != null, "no generated source " + path);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * The checking function and the fault record appear only inside the checked branch; the plain
     * branch makes ELATTN_INDEX the bare index and the fault parameters nothing.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("generatedSources")
    void checksOnlyInTheCheckedBranch(Path file) throws IOException {
        String source = Files.readString(file);
        int ifdef = source.indexOf(IFDEF);
        int orElse = source.indexOf("#else\n", ifdef);
        int endif = source.indexOf("#endif\n", orElse);
        assertTrue(ifdef >= 0 && orElse > ifdef && endif > orElse, "no checked/plain branches in " + file);
        String plain = source.substring(0, ifdef) + source.substring(orElse);
        for (String trace : List.of("elattn_checked_index", "elattn_fault", "elattn_launch")) {
            assertFalse(plain.contains(trace), file + ": " + trace + " outside the checked branch");
        }
        String plainBranch = source.substring(orElse, endif);
        assertTrue(plainBranch.contains("#define ELATTN_INDEX(index, length, array, line) (index)\n"), plainBranch);
        for (String macro : List.of("ELATTN_FAULT_PARAMS", "ELATTN_FAULT_ONLY_PARAMS", "ELATTN_FAULT_ARGS",
                "ELATTN_FAULT_ONLY_ARGS")) {
            assertTrue(plainBranch.contains("#define " + macro + "\n"), macro + " is not empty in " + file);
        }
    }

    /**
     * The backends read the fault's array id from the source they built: both dialects number alike
     * and check the same accesses (the OpenCL C of a CUDA-only kernel leaves out the intrinsics'
     * arguments, so it checks fewer).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("openClSources")
    void openClAndCudaNumberArraysAlike(Path file) throws IOException {
        String cl = Files.readString(file);
        String cu = Files.readString(Path.of(file.toString().replaceAll("\\.cl$", ".cu")));
        assertEquals(IndexChecks.arrays(cl), IndexChecks.arrays(cu), file.toString());
        Set<IndexChecks.Access> clAccesses = new HashSet<>(IndexChecks.accesses(cl));
        Set<IndexChecks.Access> cuAccesses = new HashSet<>(IndexChecks.accesses(cu));
        if (cl.contains("\n#error ")) {
            assertTrue(cuAccesses.containsAll(clAccesses), file.toString());
        } else {
            assertEquals(clAccesses, cuAccesses, file.toString());
        }
        int arrays = IndexChecks.arrays(cl).names().size();
        assertTrue(IndexChecks.accesses(cl).stream().allMatch(a -> a.array() >= 0 && a.array() < arrays), file.toString());
    }

    @Test
    void markerNamesTheArraysByIdAndTheFile() throws IOException {
        String cl = resource(LanguageFeatureKernels.class, "deviceFunctions", ".cl");
        assertTrue(cl.contains("\n// elattn: index checks in LanguageFeatureKernels.java, arrays: m v out dot.a dot.b"
                + " store.out\n"), cl);
        IndexChecks.ArrayNames names = IndexChecks.arrays(cl);
        assertEquals("LanguageFeatureKernels.java", names.file());
        assertEquals(List.of("m", "v", "out", "dot.a", "dot.b", "store.out"), names.names());
        // dot's "s += a.get(offset + k) * b.get(k)": arrays 3 and 4, their lengths the parameters'.
        assertTrue(cl.contains("s += a[ELATTN_INDEX(offset + k, a_len, 3, "), cl);
        assertTrue(cl.contains("* b[ELATTN_INDEX(k, b_len, 4, "), cl);
    }

    /** Device functions that index no array (nor call one that does) keep their plain signature. */
    @Test
    void onlyDeviceFunctionsThatCheckTakeTheFaultRecord() throws IOException {
        String cl = resource(LanguageFeatureKernels.class, "deviceFunctions", ".cl");
        assertTrue(cl.contains("static inline float square(float v) {"), cl);
        assertTrue(cl.contains("return sqrt(square(x) + square(y));"), cl);
        assertTrue(cl.contains("static inline void store(__global float* out, int out_len, int i, float v"
                + " ELATTN_FAULT_PARAMS) {"), cl);
        assertTrue(cl.contains("store(out, out_len, row, isEven(row) ? norm(d, (float) 1) : square(d)"
                + " ELATTN_FAULT_ARGS);"), cl);
        assertTrue(cl.contains("int n ELATTN_FAULT_PARAMS) {"), "the kernel always takes it: " + cl);
    }

    @Test
    void constantIndexesWithinLocalArraysAreNotChecked() throws IOException {
        String cl = resource(LayerNorm.class, "residualRowsGroup", ".cl");
        assertTrue(cl.contains("float mean = partial[0] / d;"), cl);
        assertTrue(cl.contains("partial[ELATTN_INDEX(l + s, 256, 5, "), cl);
    }

    /**
     * With a C preprocessor at hand, the plain build of a kernel holds no trace of the checks and
     * the checked build passes the record to the kernel, its device functions and every access.
     */
    @Test
    void preprocessedPlainBuildHasNoChecks() throws Exception {
        String cl = resource(LanguageFeatureKernels.class, "deviceFunctions", ".cl");
        String plain = preprocess(cl);
        for (String trace : List.of("elattn_checked_index", "elattn_fault", "elattn_launch", "ELATTN_")) {
            assertFalse(plain.contains(trace), trace + " in the plain build:\n" + plain);
        }
        assertTrue(plain.contains("s += a[(offset + k)] * b[(k)];"), plain);
        assertTrue(plain.contains("int offset, int n ) {"), plain);
        String checked = preprocess(cl, "-D" + IndexChecks.DEFINE);
        assertTrue(checked.contains("int n , __global int* elattn_fault, int elattn_launch) {"), checked);
        assertTrue(checked.contains("s += a[elattn_checked_index(offset + k, a_len, 3, "), checked);
    }

    private static String preprocess(String source, String... options) throws Exception {
        String cpp = Stream.of("cpp", "gcc", "clang-15", "clang").filter(IndexChecksSourceTest::onPath).findFirst()
                .orElse(null);
        Assumptions.assumeTrue(cpp != null, "no C preprocessor (cpp, gcc, clang) on the PATH");
        List<String> command = new ArrayList<>(cpp.equals("cpp") ? List.of(cpp, "-P") : List.of(cpp, "-E", "-P"));
        command.addAll(List.of(options));
        command.addAll(List.of("-x", "c", "-"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(source.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + out);
        return out;
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }
}
