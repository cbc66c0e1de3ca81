package elattn.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import java.util.Random;
import java.util.SplittableRandom;

/** Test data and comparisons for off-heap arrays: seeded random contents, copies for oracles, closeness checks. */
public final class HostArrays {
    private HostArrays() {
    }

    /** An array of {@code n} values uniform in [-1, 1), the same for the same seed. */
    public static FloatArray randomFloats(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        FloatArray a = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, (float) (random.nextDouble() * 2 - 1));
        }
        return a;
    }

    /** {@code n} values uniform in [-1, 1) drawn from {@code random}, for tests that draw several arrays from one generator. */
    public static FloatArray randomFloats(Random random, int n) {
        FloatArray a = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, random.nextFloat() * 2 - 1);
        }
        return a;
    }

    /** {@code n} standard normal values, the same for the same seed. */
    public static FloatArray gaussianFloats(int n, long seed) {
        Random r = new Random(seed);
        FloatArray a = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, (float) r.nextGaussian());
        }
        return a;
    }

    /** fp16 values uniform in [-1, 1), the same for the same seed. */
    public static HalfFloatArray randomHalfs(int n, long seed) {
        return HalfFloatArray.fromArray(randomFloats(n, seed).toHeapArray());
    }

    public static FloatArray copy(FloatArray a) {
        return FloatArray.fromArray(a.toHeapArray());
    }

    public static IntArray copy(IntArray a) {
        return IntArray.fromArray(a.toHeapArray());
    }

    public static HalfFloatArray copy(HalfFloatArray a) {
        HalfFloatArray c = new HalfFloatArray(a.getSize());
        c.getSegment().copyFrom(a.getSegment());
        return c;
    }

    /**
     * Asserts that every element is within {@code relTol * max(1, |expected|)} of the expected one
     * (devices may fuse multiply-adds or use other fp32 rounding than the JVM).
     */
    public static void assertClose(float[] expected, float[] actual, float relTol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float tol = relTol * Math.max(1f, Math.abs(expected[i]));
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (tolerance " + tol
                        + ")");
            }
        }
    }

    public static void assertClose(FloatArray expected, FloatArray actual, String what) {
        assertClose(expected.toHeapArray(), actual.toHeapArray(), 1e-5f, what);
    }

    /**
     * Asserts that {@code sums[g]} is the sum of group {@code g}'s elements of {@code in}, groups
     * being consecutive runs of {@code group} elements (the last one may be shorter): the oracle of
     * the work-group reduction kernels.
     */
    public static void assertGroupSums(FloatArray in, int group, FloatArray sums, double tolerance) {
        for (int g = 0; g < sums.getSize(); g++) {
            double expected = 0;
            for (int i = g * group; i < Math.min(in.getSize(), (g + 1) * group); i++) {
                expected += in.get(i);
            }
            assertEquals(expected, sums.get(g), tolerance, "group " + g);
        }
    }
}
