package elattn.compiler.features;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Arguments for every kernel of {@link LanguageFeatureKernels}, so that any test (the compiler's JVM
 * test, the backends' integration tests) can run the corpus: each supplier returns fresh arrays
 * filled with the same seeded data on every call, so two runs can be compared element by element.
 */
public final class LanguageFeatureCases {
    private LanguageFeatureCases() {
    }

    /** A {@code @Parallel} kernel of the corpus and its arguments. */
    public record ParallelCase(String kernel, Supplier<Object[]> arguments) {
        public Method method() {
            return LanguageFeatureCases.method(kernel);
        }

        @Override
        public String toString() {
            return kernel;
        }
    }

    /**
     * A {@code KernelContext} kernel of the corpus, its arguments after the context, and its launch
     * grid (global and local sizes, x first).
     */
    public record ContextCase(String kernel, Supplier<Object[]> arguments, long[] global, long[] local) {
        public Method method() {
            return LanguageFeatureCases.method(kernel);
        }

        @Override
        public String toString() {
            return kernel;
        }
    }

    public static List<ParallelCase> parallelCases() {
        return List.of(
                new ParallelCase("saxpy", () -> args(floats(1000, -10, 10, 1), floats(1000, -10, 10, 2), 2.5f)),
                new ParallelCase("intOps", () -> args(ints(1000, -1_000_000, 1_000_000, 3), new IntArray(1000), 35)),
                new ParallelCase("longOps", () -> args(ints(777, -100_000, 100_000, 4), new IntArray(777), 1_000_003L)),
                new ParallelCase("casts", () -> args(castInputs(), new IntArray(castInputs().getSize()),
                        new FloatArray(castInputs().getSize()))),
                new ParallelCase("compound", () -> args(floats(500, -5, 5, 5), ints(500, -1000, 1000, 6))),
                new ParallelCase("loops", () -> args(ints(300, -5, 5000, 7), new IntArray(300))),
                new ParallelCase("matmul", () -> args(floats(17 * 17, -1, 1, 8), floats(17 * 17, -1, 1, 9),
                        new FloatArray(17 * 17), 17)),
                new ParallelCase("volume", () -> args(floats(7 * 5 * 3, -1, 1, 10), new FloatArray(7 * 5 * 3), 7, 5, 3)),
                new ParallelCase("startAndStep", () -> args(floats(20 * 9, -1, 1, 11), new FloatArray(20 * 9), 1, 9)),
                new ParallelCase("constants", () -> args(new FloatArray(50))),
                new ParallelCase("deviceFunctions", () -> args(floats(13 * 13, -1, 1, 12), floats(13, -1, 1, 13),
                        new FloatArray(13), 13)),
                new ParallelCase("kernelMath", () -> args(floats(200, 0.1f, 2f, 14), new FloatArray(200))),
                new ParallelCase("javaMath", () -> args(floats(200, 0.1f, 2f, 15), new FloatArray(200))),
                new ParallelCase("halfFloats", () -> args(HalfFloatArray.fromArray(floats(100, -4, 4, 16).toHeapArray()),
                        floats(7, 0, 2, 17), new HalfFloatArray(100))),
                new ParallelCase("privateArrays", () -> args(floats(100, -1, 1, 18), new FloatArray(100))));
    }

    public static List<ContextCase> contextCases() {
        int group = LanguageFeatureKernels.GROUP;
        return List.of(
                new ContextCase("reduceSum", () -> args(floats(1000, -1, 1, 19), new FloatArray(16)),
                        new long[] {16 * group}, new long[] {group}),
                new ContextCase("contextIds", () -> args(new IntArray(16 * 8)), new long[] {16, 8}, new long[] {8, 8}));
    }

    private static Method method(String name) {
        return Arrays.stream(LanguageFeatureKernels.class.getMethods())
                .filter(m -> m.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no kernel " + name + " in LanguageFeatureKernels"));
    }

    private static Object[] args(Object... args) {
        return args;
    }

    private static FloatArray floats(int n, float lo, float hi, long seed) {
        Random r = new Random(seed);
        FloatArray a = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, lo + (hi - lo) * r.nextFloat());
        }
        return a;
    }

    private static IntArray ints(int n, int lo, int hi, long seed) {
        Random r = new Random(seed);
        IntArray a = new IntArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, r.nextInt(lo, hi));
        }
        return a;
    }

    /** Where float-to-int conversions differ between Java and C: NaN, infinities, out of range, negatives. */
    private static FloatArray castInputs() {
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 3e9f, -3e9f, 9.3e18f, -2.7f,
            2.7f, -0.5f, 0f, 1e-3f};
        float[] values = Arrays.copyOf(special, special.length + 100);
        Random r = new Random(20);
        for (int i = special.length; i < values.length; i++) {
            values[i] = (r.nextFloat() - 0.5f) * 2e6f;
        }
        return FloatArray.fromArray(values);
    }
}
