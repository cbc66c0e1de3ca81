package elattn.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.tasks.Gemm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the kernel compiler makes of {@code KernelContext.mma16816} ({@link Gemm#hgemmTensorCore}):
 * inline PTX mma.sync behind an sm_80 guard in CUDA C, and OpenCL C that refuses to build, saying
 * why. With nvcc on the path the CUDA C of it and of {@link Gemm#hgemmTensorCoreHalf} is compiled
 * for sm_80 (it builds) and sm_75 (the guard stops it with its message).
 */
class TensorCoreSourceTest {
    private static final String MMA = "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32";
    private static final String REFUSAL = "kernel elattn.tasks.Gemm.hgemmTensorCore uses KernelContext.mma16816"
            + " (tensor cores), which is CUDA-only";

    @TempDir
    Path work;

    private static String source(String kernel, String suffix) throws IOException {
        return source("elattn/tasks/Gemm", kernel, suffix);
    }

    private static String source(String owner, String kernel, String suffix) throws IOException {
        String resource = "/" + KernelNames.RESOURCE_ROOT + owner + "/" + kernel + suffix;
        try (InputStream in = Gemm.class.getResourceAsStream(resource)) {
            assertTrue(in != null, "no generated source " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void cudaSourceHasTheTensorCoreInstructionBehindAnArchitectureGuard() throws IOException {
        String cu = source("hgemmTensorCore", ".cu");
        assertTrue(cu.contains(MMA), cu);
        assertTrue(cu.contains("#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800\n#error"), cu);
        assertTrue(cu.contains("elattn_mma_tiles<4, 4, false>(acc, tileA + (t % 3 * 5120 + warpRow * 40 + 16 * slice), 40,"
                + " tileB"), cu);
        // The copies: 16 bytes without registers, a group per stage, the wait a literal.
        assertTrue(cu.contains("cp.async.cg.shared.global [%0], [%1], 16, %2;"), cu);
        assertTrue(cu.contains("asm volatile(\"cp.async.commit_group;\" ::: \"memory\");"), cu);
        assertTrue(cu.contains("asm volatile(\"cp.async.wait_group 1;\" ::: \"memory\");"), cu);
    }

    /**
     * Local arrays past CUDA's 48 KiB of static shared memory (hgemmTensorCore's three stages: 60 KiB of
     * fp32 A, 30 KiB of fp16 B) are carved out of one dynamic block whose size the source's marker
     * tells the backend; smaller ones stay static, and OpenCL keeps its __local arrays.
     */
    @Test
    void localArraysPastTheStaticLimitAreDynamicSharedMemory() throws IOException {
        String cu = source("hgemmTensorCore", ".cu");
        assertEquals(61440 + 30720, DynamicLocalMemory.bytes(cu), cu);
        assertTrue(cu.contains("extern __shared__ __align__(16) unsigned char elattn_local[];\n"
                + "    float* tileA = (float*) (elattn_local + 0);\n"
                + "    int* tileB = (int*) (elattn_local + 61440);\n"), cu);
        String small = source("weightsTensorCore", ".cu");
        assertEquals(0, DynamicLocalMemory.bytes(small));
        assertTrue(small.contains("__shared__ __align__(16) float tileA[7680];"), small);
        assertTrue(source("hgemmTensorCore", ".cl").contains("__local float tileA[15360] __attribute__((aligned(16)));"));
    }

    /**
     * Every tensor-core kernel fits the 99 KiB of shared memory a work-group may have on compute
     * capability 8.6 and 8.9 (consumer Ampere and Ada), the least of the GPUs that run mma16816.
     */
    @Test
    void tensorCoreKernelsFitConsumerGpus() throws IOException {
        long limit = 99 * 1024;
        for (String kernel : List.of("hgemmTensorCore", "hgemmTensorCoreHalf", "weightsTensorCore")) {
            assertTrue(DynamicLocalMemory.bytes(source(kernel, ".cu")) <= limit, kernel);
        }
        for (String kernel : List.of("scores", "context", "scoresRows", "contextRows", "fused")) {
            String cu = source("elattn/tasks/attention/TensorCoreAttention", kernel, ".cu");
            assertTrue(cu.contains("unsigned char elattn_local[]"), kernel + " uses dynamic shared memory");
            assertTrue(DynamicLocalMemory.bytes(cu) <= limit, kernel + ": " + DynamicLocalMemory.bytes(cu) + " bytes");
        }
    }

    /** {@code @Unroll} loops come out as {@code #pragma unroll} loops (the accumulators' stores of the attention scores). */
    @Test
    void unrolledLoopsCarryThePragma() throws IOException {
        String cu = source("elattn/tasks/attention/TensorCoreAttention", "scores", ".cu");
        assertTrue(cu.contains("#pragma unroll\n                for (int e = 0; e < 4; e++) {"), cu);
    }

    @Test
    void openClSourceRefusesToBuildFirst() throws IOException {
        String cl = source("hgemmTensorCore", ".cl");
        String firstDirective = cl.lines().filter(l -> l.startsWith("#")).findFirst().orElse("");
        assertTrue(firstDirective.startsWith("#error \"" + REFUSAL), cl);
        assertFalse(cl.contains("mma.sync"), cl);
    }

    @Test
    void kernelsWithoutTheIntrinsicAreUnchanged() throws IOException {
        assertFalse(source("weightsBlockedHalf", ".cu").contains("mma16816"));
        assertFalse(source("weightsBlockedHalf", ".cl").contains("#error"));
    }

    @Test
    void nvccBuildsItForSm80AndStopsForSm75() throws Exception {
        Assumptions.assumeTrue(Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "nvcc"))), "nvcc is not installed");
        for (String kernel : List.of("hgemmTensorCoreHalf", "hgemmTensorCore")) {
            Path source = Files.writeString(work.resolve(kernel + ".cu"), source(kernel, ".cu"));
            Result sm80 = nvcc(source, "sm_80");
            assertEquals(0, sm80.exit(), kernel + ": " + sm80.output());
            assertTrue(Files.readString(work.resolve("sm_80.ptx")).contains(MMA), kernel);
        }
        Path cu = work.resolve("hgemmTensorCore.cu");
        Result sm75 = nvcc(cu, "sm_75");
        assertNotEquals(0, sm75.exit());
        assertTrue(sm75.output().contains("which needs compute capability 8.0 or newer"), sm75.output());
    }

    private record Result(int exit, String output) {
    }

    private Result nvcc(Path source, String arch) throws Exception {
        List<String> command = new ArrayList<>(List.of("nvcc", "-arch=" + arch, "-ptx", "-o",
                work.resolve(arch + ".ptx").toString(), source.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new Result(p.exitValue(), output);
    }
}
