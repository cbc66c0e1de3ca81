package elattn.compiler.features;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.runtime.TaskGraph;
import java.lang.foreign.ValueLayout;
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

    /** Adds the kernel of a case to a task graph as a method reference, as applications do. */
    @FunctionalInterface
    public interface TaskAdder {
        TaskGraph add(TaskGraph graph, String taskName, Object[] args);
    }

    /**
     * How far a device's float result may be from the sequential Java one: the largest allowed
     * {@code |device - java|} for the element at {@code index} whose Java value is {@code expected};
     * 0 means bit for bit (any NaN equals any NaN: payloads are not specified).
     */
    @FunctionalInterface
    public interface Tolerance {
        double allowed(int index, float expected);
    }

    /**
     * Default for float results: relative 1e-5 (absolute below 1). Devices compute in fp32 as the JVM
     * does, but may contract a*b+c into an fma (one rounding instead of two) and compute Java's
     * {@code double} expressions in float; the corpus kernels do a few such operations on values of
     * magnitude below 100, so they differ by a few fp32 ulps of the largest operand (~1e-7 relative
     * each), far inside 1e-5.
     */
    public static final Tolerance FP32 = (index, expected) -> 1e-5 * Math.max(1f, Math.abs(expected));
    /** Results of exact operations only (comparisons, min/max/abs, exact products, conversions, constants). */
    public static final Tolerance EXACT = (index, expected) -> 0;
    /**
     * One fp16 step: an fp16 store of a computed value rounds once to 11 bits, so a device whose fp32
     * value differs by an ulp (fma contraction) may land on the neighbouring fp16 value.
     */
    public static final Tolerance FP16_STEP =
            (index, expected) -> Math.max(Math.ulp(expected) * 8192.0, 0x1p-24) + 1e-5 * Math.abs(expected);
    /**
     * Per slot of {@link LanguageFeatureKernels#MATH_RESULTS}: the device error bound in ulps of the
     * OpenCL 1.2 full profile (spec table 7.1; the CUDA bounds are smaller or equal), plus 1 ulp for the
     * JVM reference (a double result rounded to float) and the binade of the result: exp, log, sqrt 3;
     * rsqrt 2 but slot 3 of javaMath is 1/sqrt, sqrt 3 + divide 2.5; tanh 5; erf 16 and slot 5 of javaMath
     * is pow 16; pow 16; sin, cos 4; floor, ceil, fma, fmin, fmax, fabs are exact (0); tan 5, asin 4,
     * acos 4, atan 5, atan2 6, log2 3 (slot 20 of javaMath is log times a constant, log 3 + 1); signum,
     * clamp and fract are exact. erf's JVM
     * reference is itself a fit with absolute error below 1.2e-7, so it also gets 2.4e-7 absolute.
     */
    private static final int[] MATH_ULPS = {3, 3, 3, 6, 5, 16, 16, 4, 4, 0, 0, 0, 0, 0, 0, 5, 4, 4, 5, 6, 4, 0, 0, 0};
    public static final Tolerance MATH = (index, expected) -> {
        int slot = index % LanguageFeatureKernels.MATH_RESULTS;
        int ulps = MATH_ULPS[slot];
        return ulps == 0 ? 0 : (ulps + 1) * 2 * Math.ulp(expected) + (slot == 5 ? 2.4e-7 : 0);
    };

    /** A {@code @Parallel} kernel of the corpus, how to add it to a graph, its arguments and float tolerance. */
    public record ParallelCase(String kernel, TaskAdder task, Supplier<Object[]> arguments, Tolerance tolerance) {
        public Method method() {
            return LanguageFeatureCases.method(kernel);
        }

        @Override
        public String toString() {
            return kernel;
        }
    }

    /**
     * A {@code KernelContext} kernel of the corpus, how to add it to a graph (the arguments given
     * include the context placeholder), its arguments after the context, and its launch grid (global
     * and local sizes, x first).
     */
    public record ContextCase(String kernel, TaskAdder task, Supplier<Object[]> arguments, long[] global, long[] local) {
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
                new ParallelCase("saxpy", (g, t, a) -> g.task(t, LanguageFeatureKernels::saxpy, a),
                        () -> args(floats(1000, -10, 10, 1), floats(1000, -10, 10, 2), 2.5f), FP32),
                new ParallelCase("intOps", (g, t, a) -> g.task(t, LanguageFeatureKernels::intOps, a),
                        () -> args(ints(1000, -1_000_000, 1_000_000, 3), new IntArray(1000), 35), EXACT),
                new ParallelCase("longOps", (g, t, a) -> g.task(t, LanguageFeatureKernels::longOps, a),
                        () -> args(ints(777, -100_000, 100_000, 4), new IntArray(777), 1_000_003L), EXACT),
                new ParallelCase("casts", (g, t, a) -> g.task(t, LanguageFeatureKernels::casts, a),
                        () -> args(castInputs(), new IntArray(castInputs().getSize()), new FloatArray(castInputs().getSize())),
                        FP32),
                new ParallelCase("compound", (g, t, a) -> g.task(t, LanguageFeatureKernels::compound, a),
                        () -> args(floats(500, -5, 5, 5), ints(500, -1000, 1000, 6)), FP32),
                new ParallelCase("loops", (g, t, a) -> g.task(t, LanguageFeatureKernels::loops, a),
                        () -> args(ints(300, -5, 5000, 7), new IntArray(300)), EXACT),
                new ParallelCase("matmul", (g, t, a) -> g.task(t, LanguageFeatureKernels::matmul, a),
                        () -> args(floats(17 * 17, -1, 1, 8), floats(17 * 17, -1, 1, 9), new FloatArray(17 * 17), 17), FP32),
                new ParallelCase("volume", (g, t, a) -> g.task(t, LanguageFeatureKernels::volume, a),
                        () -> args(floats(7 * 5 * 3, -1, 1, 10), new FloatArray(7 * 5 * 3), 7, 5, 3), FP32),
                new ParallelCase("startAndStep", (g, t, a) -> g.task(t, LanguageFeatureKernels::startAndStep, a),
                        () -> args(floats(20 * 9, -1, 1, 11), new FloatArray(20 * 9), 1, 9), FP32),
                new ParallelCase("strided1D", (g, t, a) -> g.task(t, LanguageFeatureKernels::strided1D, a),
                        () -> args(ints(200, -100, 100, 30), 5, 181), EXACT),
                new ParallelCase("switches", (g, t, a) -> g.task(t, LanguageFeatureKernels::switches, a),
                        () -> args(ints(300, -100, 100, 41), new IntArray(300 * 3)), EXACT),
                new ParallelCase("arrayInitializers",
                        (g, t, a) -> g.task(t, LanguageFeatureKernels::arrayInitializers, a),
                        () -> args(floats(200, -3, 3, 42), new FloatArray(200)), FP32),
                new ParallelCase("localBounds", (g, t, a) -> g.task(t, LanguageFeatureKernels::localBounds, a),
                        () -> args(floats(13 * 7, -1, 1, 43), 13, 9), FP32),
                new ParallelCase("falling1D", (g, t, a) -> g.task(t, LanguageFeatureKernels::falling1D, a),
                        () -> args(ints(200, -100, 100, 39), 5, 181), EXACT),
                new ParallelCase("falling2D", (g, t, a) -> g.task(t, LanguageFeatureKernels::falling2D, a),
                        () -> args(floats(17 * 9, -1, 1, 40), 17, 9), FP32),
                new ParallelCase("strided3D", (g, t, a) -> g.task(t, LanguageFeatureKernels::strided3D, a),
                        () -> args(floats(23 * 11 * 6, -1, 1, 31), 23, 11, 6), FP32),
                new ParallelCase("constants", (g, t, a) -> g.task(t, LanguageFeatureKernels::constants, a),
                        () -> args(new FloatArray(50)), FP32),
                new ParallelCase("limits", (g, t, a) -> g.task(t, LanguageFeatureKernels::limits, a),
                        () -> args(floats(8 * 10, -1000, 1000, 32), new FloatArray(8 * 10), new IntArray(6 * 10), 8), EXACT),
                new ParallelCase("deviceFunctions", (g, t, a) -> g.task(t, LanguageFeatureKernels::deviceFunctions, a),
                        () -> args(floats(13 * 13, -1, 1, 12), floats(13, -1, 1, 13), new FloatArray(13), 13), FP32),
                new ParallelCase("deviceFunctionTypes",
                        (g, t, a) -> g.task(t, LanguageFeatureKernels::deviceFunctionTypes, a),
                        () -> args(ints(102, -40, 40, 33), HalfFloatArray.fromArray(floats(100, -8, 8, 34).toHeapArray()),
                                new IntArray(100), new FloatArray(100), -7_777_777_777L), FP32),
                new ParallelCase("kernelMath", (g, t, a) -> g.task(t, LanguageFeatureKernels::kernelMath, a),
                        () -> args(mathInputs(), new FloatArray(mathInputs().getSize() * LanguageFeatureKernels.MATH_RESULTS),
                                intInputs(), new IntArray(intInputs().getSize() * 3)), MATH),
                new ParallelCase("javaMath", (g, t, a) -> g.task(t, LanguageFeatureKernels::javaMath, a),
                        () -> args(mathInputs(), new FloatArray(mathInputs().getSize() * LanguageFeatureKernels.MATH_RESULTS),
                                intInputs(), new IntArray(intInputs().getSize() * 5)), MATH),
                new ParallelCase("intDivision", (g, t, a) -> g.task(t, LanguageFeatureKernels::intDivision, a),
                        () -> args(intInputs(), divisors(), new IntArray(intInputs().getSize() * 12)), EXACT),
                new ParallelCase("booleans", (g, t, a) -> g.task(t, LanguageFeatureKernels::booleans, a),
                        () -> args(ints(300, -100, 100, 35), new IntArray(300)), EXACT),
                new ParallelCase("increments", (g, t, a) -> g.task(t, LanguageFeatureKernels::increments, a),
                        () -> args(ints(300, -1_000_000, 1_000_000, 36), floats(300, -100, 100, 37), new IntArray(300 * 8)),
                        FP32),
                new ParallelCase("loopControl", (g, t, a) -> g.task(t, LanguageFeatureKernels::loopControl, a),
                        () -> args(ints(300, 0, 200, 38), new IntArray(300 * 4)), EXACT),
                new ParallelCase("halfFloats", (g, t, a) -> g.task(t, LanguageFeatureKernels::halfFloats, a),
                        () -> args(HalfFloatArray.fromArray(floats(100, -4, 4, 16).toHeapArray()), floats(7, 0, 2, 17),
                                new HalfFloatArray(100)), FP16_STEP),
                new ParallelCase("halfRoundTrip", (g, t, a) -> g.task(t, LanguageFeatureKernels::halfRoundTrip, a),
                        () -> args(halfRoundingInputs(), new HalfFloatArray(halfRoundingInputs().getSize()), everyHalf(),
                                new FloatArray(1 << 16)), EXACT),
                new ParallelCase("packHalfPairs", (g, t, a) -> g.task(t, LanguageFeatureKernels::packHalfPairs, a),
                        () -> args(halfPairInputs(), new IntArray(halfPairInputs().getSize() / 2)), EXACT),
                new ParallelCase("privateArrays", (g, t, a) -> g.task(t, LanguageFeatureKernels::privateArrays, a),
                        () -> args(floats(100, -1, 1, 18), new FloatArray(100)), FP32));
    }

    public static List<ContextCase> contextCases() {
        int group = LanguageFeatureKernels.GROUP;
        return List.of(
                new ContextCase("reduceSum", (g, t, a) -> g.task(t, LanguageFeatureKernels::reduceSum, a),
                        () -> args(floats(1000, -1, 1, 19), new FloatArray(16)), new long[] {16 * group}, new long[] {group}),
                new ContextCase("contextIds", (g, t, a) -> g.task(t, LanguageFeatureKernels::contextIds, a),
                        () -> args(new IntArray(16 * 8)), new long[] {16, 8}, new long[] {8, 8}),
                new ContextCase("contextIds3D", (g, t, a) -> g.task(t, LanguageFeatureKernels::contextIds3D, a),
                        () -> args(new IntArray(8 * 4 * 4 * 16), new FloatArray(8 * 4 * 4)), new long[] {8, 4, 4},
                        new long[] {4, 2, 2}));
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

    /** Signed values for the math functions, with exact integers and halves (floor/ceil edges) and zeros. */
    private static FloatArray mathInputs() {
        float[] special = {0f, -0f, 0.5f, -0.5f, 1f, -1f, 2.5f, -2.5f, 1f / 3, -2f / 3};
        float[] values = Arrays.copyOf(special, special.length + 200);
        Random r = new Random(21);
        for (int i = special.length; i < values.length; i++) {
            values[i] = (r.nextFloat() - 0.5f) * 12f;
        }
        return FloatArray.fromArray(values);
    }

    /** Signed ints over the whole range, with the limits and small negatives first. */
    private static IntArray intInputs() {
        int[] special = {Integer.MIN_VALUE, Integer.MAX_VALUE, -7, 7, -7, 0, -1, 1, -2, 2};
        int[] values = Arrays.copyOf(special, special.length + 200);
        Random r = new Random(22);
        for (int i = special.length; i < values.length; i++) {
            values[i] = i % 2 == 0 ? r.nextInt() : r.nextInt(-1000, 1000);
        }
        return IntArray.fromArray(values);
    }

    /**
     * Divisors (and shift counts) for {@link #intInputs()}: never 0, not -1 for Integer.MIN_VALUE (both
     * undefined in C), negative and beyond 32 and 64 for the shifts.
     */
    private static IntArray divisors() {
        int[] special = {-7, 3, 2, -2, -2, 5, 9, -100, 4, -3};
        int[] values = Arrays.copyOf(special, special.length + 200);
        Random r = new Random(23);
        for (int i = special.length; i < values.length; i++) {
            int v = i % 5 == 0 ? r.nextInt() : r.nextInt(-80, 80);
            values[i] = v == 0 ? 1 : v;
        }
        return IntArray.fromArray(values);
    }

    /**
     * Floats whose fp16 rounding is delicate: ties to even in the normal and subnormal range, just
     * above ties, the largest fp16, overflow to infinity, underflow to zero, signed zeros, infinities,
     * NaN, then random values over fp16's whole exponent range and exact midpoints of random neighbours.
     */
    private static FloatArray halfRoundingInputs() {
        float[] special = {1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 1f + 0x1p-11f + 0x1p-20f, -(1f + 0x1p-11f), 65504f,
            65519.99f, 65520f, 1e6f, -1e6f, 0x1p-24f, 0x1p-25f, 0x1p-25f + 0x1p-40f, 3 * 0x1p-25f, 5 * 0x1p-25f,
            6.1e-5f, 0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-10f, -1e-10f};
        float[] values = Arrays.copyOf(special, special.length + 600);
        Random r = new Random(24);
        for (int i = special.length; i < values.length; i++) {
            if (i % 2 == 0) {
                values[i] = (r.nextBoolean() ? 1 : -1) * (float) Math.pow(2, r.nextDouble() * 42 - 26);
            } else {
                short bits = (short) r.nextInt(0x7bff);
                float low = Float.float16ToFloat(bits);
                float high = Float.float16ToFloat((short) (bits + 1));
                values[i] = (low + high) / 2;
            }
        }
        return FloatArray.fromArray(values);
    }

    /**
     * {@link #halfRoundingInputs} without NaN (the fp16 bits of a NaN may differ between devices),
     * an even number of them.
     */
    private static FloatArray halfPairInputs() {
        float[] values = halfRoundingInputs().toHeapArray();
        float[] numbers = new float[values.length];
        int count = 0;
        for (float v : values) {
            if (!Float.isNaN(v)) {
                numbers[count++] = v;
            }
        }
        return FloatArray.fromArray(Arrays.copyOf(numbers, count / 2 * 2));
    }

    /** All 65536 fp16 bit patterns, in order. */
    private static HalfFloatArray everyHalf() {
        HalfFloatArray h = new HalfFloatArray(1 << 16);
        for (int i = 0; i < 1 << 16; i++) {
            h.getSegment().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) i);
        }
        return h;
    }
}
