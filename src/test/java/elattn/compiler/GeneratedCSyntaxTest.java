package elattn.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.compiler.features.LanguageFeatureKernels;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks that the OpenCL C and CUDA C generated for the feature corpus is valid C for a real
 * compiler front end, built plainly and with its index checks on ({@code -DELATTN_CHECKED}): clang
 * in OpenCL C 1.2 mode, or else gcc with a small OpenCL prelude; nvcc (to PTX), or else g++ with a
 * small CUDA prelude. Running the kernels on devices is the backends' integration tests' job.
 */
class GeneratedCSyntaxTest {
    @TempDir
    static Path work;

    static Stream<Arguments> generatedSources() throws IOException, URISyntaxException {
        Path dir = Path.of(LanguageFeatureKernels.class.getResource("/" + KernelNames.RESOURCE_ROOT
                + LanguageFeatureKernels.class.getName().replace('.', '/')).toURI());
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.sorted().toList();
        }
        assertTrue(files.size() >= 30, "expected the corpus's .cl and .cu files in " + dir);
        return files.stream().flatMap(f -> Stream.of(Arguments.of(f, false), Arguments.of(f, true)));
    }

    @ParameterizedTest(name = "{0}, checked: {1}")
    @MethodSource("generatedSources")
    void compilesWithACFrontEnd(Path source, boolean checked) throws Exception {
        boolean opencl = source.toString().endsWith(".cl");
        List<String> command = new ArrayList<>();
        if (opencl && onPath("clang-15")) {
            command.addAll(List.of("clang-15", "-x", "cl", "-cl-std=CL1.2", "-Xclang", "-finclude-default-header",
                    "-fsyntax-only"));
        } else if (opencl && onPath("clang")) {
            command.addAll(List.of("clang", "-x", "cl", "-cl-std=CL1.2", "-Xclang", "-finclude-default-header",
                    "-fsyntax-only"));
        } else if (opencl) {
            command.addAll(List.of("gcc", "-std=c11", "-fsyntax-only", "-Werror=implicit-function-declaration",
                    "-include", prelude("opencl-prelude.h").toString(), "-x", "c"));
        } else if (onPath("nvcc")) {
            command.addAll(List.of("nvcc", "-arch=sm_80", "-ptx", "-o", work.resolve("out.ptx").toString()));
        } else {
            command.addAll(List.of("g++", "-fsyntax-only", "-include", prelude("cuda-prelude.h").toString(),
                    "-x", "c++"));
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(onPath(command.get(0)), command.get(0) + " is not installed");
        if (checked) {
            command.add("-D" + IndexChecks.DEFINE);
        }
        command.add(source.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + output + "\n" + Files.readString(source));
    }

    private static Path prelude(String name) throws IOException {
        Path file = work.resolve(name);
        try (var in = GeneratedCSyntaxTest.class.getResourceAsStream(name)) {
            Files.write(file, in.readAllBytes());
        }
        return file;
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }
}
