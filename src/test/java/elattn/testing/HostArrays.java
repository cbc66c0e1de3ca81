package elattn.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
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
}
