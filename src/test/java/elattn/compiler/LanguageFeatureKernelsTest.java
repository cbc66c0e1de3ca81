package elattn.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import elattn.compiler.features.LanguageFeatureCases;
import elattn.compiler.features.LanguageFeatureCases.ContextCase;
import elattn.compiler.features.LanguageFeatureCases.ParallelCase;
import elattn.compiler.features.LanguageFeatureKernels;
import elattn.kernel.NativeArray;
import elattn.runtime.JvmKernel;
import elattn.runtime.Kernel;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every {@code @Parallel} kernel of the feature corpus through its generated {@code $$Jvm} form,
 * over the whole range and in two slices, against a plain sequential call of the same Java method:
 * the generated code must be the kernel, with the outer loop sliced and its bounds evaluated right.
 */
class LanguageFeatureKernelsTest {

    static List<ParallelCase> parallelCases() {
        return LanguageFeatureCases.parallelCases();
    }

    static List<ContextCase> contextCases() {
        return LanguageFeatureCases.contextCases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("parallelCases")
    void generatedJavaFormMatchesSequentialCall(ParallelCase c) throws Exception {
        Object[] expected = c.arguments().get();
        c.method().invoke(null, expected);

        JvmKernel jvm = Kernel.of(c.method()).jvm();
        Object[] whole = c.arguments().get();
        long[] range = jvm.range(whole);
        long outer = range[range.length - 1];
        jvm.run(whole, 0, outer);
        assertSameArrays(expected, whole, c + " run whole");

        Object[] sliced = c.arguments().get();
        long half = outer / 2;
        jvm.run(sliced, half, outer);
        jvm.run(sliced, 0, half);
        assertSameArrays(expected, sliced, c + " run in two slices");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("contextCases")
    void contextKernelsHaveSourcesAndNoJavaForm(ContextCase c) {
        Kernel k = Kernel.of(c.method());
        assertNull(k.jvm());
        assertEquals(true, k.openclSource().contains("__kernel void " + c.kernel() + "("));
        String bounds = c.kernel().equals("reduceSum") ? "__launch_bounds__(" + LanguageFeatureKernels.GROUP + ", 2) " : "";
        assertEquals(true, k.cudaSource().contains("extern \"C\" __global__ void " + bounds + c.kernel() + "("));
        assertEquals(false, k.openclSource().contains("launch_bounds"));
    }

    @org.junit.jupiter.api.Test
    void rangesAreIterationCountsInnermostFirst() {
        ParallelCase startAndStep = parallelCases().stream().filter(c -> c.kernel().equals("startAndStep")).findFirst()
                .orElseThrow();
        // rows r = 1, 3, ..., 19 (10), columns c = 1, 4, 7 (3)
        assertArrayEquals(new long[] {3, 10}, Kernel.of(startAndStep.method()).jvm().range(startAndStep.arguments().get()));
    }

    private static void assertSameArrays(Object[] expected, Object[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] instanceof NativeArray e) {
                assertArrayEquals(e.getSegment().toArray(ValueLayout.JAVA_BYTE),
                        ((NativeArray) actual[i]).getSegment().toArray(ValueLayout.JAVA_BYTE), what + ", argument " + i);
            }
        }
    }
}
