package elattn.compiler.features;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.KernelMath;
import elattn.kernel.Parallel;

/**
 * One small kernel per feature of the kernel language, the corpus on which the kernel compiler is
 * tested: each runs on the JVM through its generated {@code $$Jvm} form (LanguageFeatureKernelsTest)
 * and, in the backends' integration tests, on every device, always against a plain sequential Java
 * call of the same method. {@link LanguageFeatureCases} gives the arguments to run them with.
 */
public final class LanguageFeatureKernels {
    /** Work-group size of the KernelContext kernels (local arrays need a constant size). */
    public static final int GROUP = 64;
    private static final float SCALE = 0.5f;
    static final int STEP = 3;
    private static final long OFFSET = 123_456_789_012L;

    private LanguageFeatureKernels() {
    }

    /** Float arithmetic on two arrays and a scalar. */
    public static void saxpy(FloatArray x, FloatArray y, float a) {
        for (@Parallel int i = 0; i < x.getSize(); i++) {
            y.set(i, a * x.get(i) + y.get(i));
        }
    }

    /** Int division and remainder (truncating), shifts with Java's masking of the count, >>> and bit ops. */
    public static void intOps(IntArray in, IntArray out, int s) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            int v = in.get(i);
            int r = v / 7 + v % 7 * 3;
            r ^= v << s;
            r += v >> (s + 1);
            r += v >>> 28;
            r += -v >>> s;
            r |= (v & 0xff) << 8;
            r -= ~v;
            out.set(i, r);
        }
    }

    /** Long arithmetic, 64-bit shifts (count masked with 63), long remainder, long-int casts. */
    public static void longOps(IntArray in, IntArray out, long factor) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            long v = in.get(i);
            long w = v * factor + OFFSET;
            w = w >>> 7 ^ w >> 3 ^ w << (i % 70);
            w += w % 1000 / 3;
            out.set(i, (int) (w ^ (w >>> 32)));
        }
    }

    /** Float to int and long (truncating toward zero, saturating, NaN to 0), int to float, double as float. */
    public static void casts(FloatArray in, IntArray asInt, FloatArray out) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            float f = in.get(i);
            int n = (int) f;
            long l = (long) (f * 1000f);
            double half = f * 0.25;
            asInt.set(i, n / 2 + (int) (l % 1000));
            out.set(i, (float) half + (float) n + (float) (l / 7));
        }
    }

    /** Ternary, every compound assignment (float %= included), ++ and --. */
    public static void compound(FloatArray a, IntArray b) {
        for (@Parallel int i = 0; i < a.getSize(); i++) {
            float x = a.get(i);
            x += 1.5f;
            x *= 2f;
            x -= 0.25f;
            x /= 3f;
            x %= 1.75f;
            int k = b.get(i);
            k += 3;
            k *= 5;
            k -= 1;
            k /= 2;
            k %= 11;
            k <<= 2;
            k >>= 1;
            k >>>= 1;
            k &= 0x7f;
            k |= 0x100;
            k ^= 0x55;
            k++;
            ++k;
            k--;
            a.set(i, x > 0 ? x : -x);
            b.set(i, k > 300 ? k - 300 : k < 0 ? 0 : k);
        }
    }

    /** while, do-while, for with break and continue, continue in a @Parallel loop. */
    public static void loops(IntArray in, IntArray out) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            int v = in.get(i);
            if (v < 0) {
                out.set(i, -1);
                continue;
            }
            int steps = 0;
            while (v > 1 && steps < 500) {
                v = v % 2 == 0 ? v / 2 : 3 * v + 1;
                steps++;
            }
            int digits = 0;
            int w = in.get(i);
            do {
                digits++;
                w /= 10;
            } while (w > 0);
            int firstMultiple = -1;
            for (int k = 1; k < 100; k++) {
                if (k % 3 != 0) {
                    continue;
                }
                if (k * k > in.get(i)) {
                    firstMultiple = k;
                    break;
                }
            }
            out.set(i, steps * 10000 + digits * 1000 + firstMultiple);
        }
    }

    /** Two nested @Parallel loops: a 2-D range, j (innermost) being dimension 0. */
    public static void matmul(FloatArray a, FloatArray b, FloatArray c, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            for (@Parallel int j = 0; j < n; j++) {
                float sum = 0f;
                for (int k = 0; k < n; k++) {
                    sum += a.get(i * n + k) * b.get(k * n + j);
                }
                c.set(i * n + j, sum);
            }
        }
    }

    /** Three nested @Parallel loops: a 3-D range. */
    public static void volume(FloatArray in, FloatArray out, int nx, int ny, int nz) {
        for (@Parallel int z = 0; z < nz; z++) {
            for (@Parallel int y = 0; y < ny; y++) {
                for (@Parallel int x = 0; x < nx; x++) {
                    int idx = (z * ny + y) * nx + x;
                    out.set(idx, in.get(idx) * 2f + x - y * 0.5f + z * 100);
                }
            }
        }
    }

    /** Non-zero start, <=, constant steps, in one and two dimensions. */
    public static void startAndStep(FloatArray in, FloatArray out, int first, int cols) {
        for (@Parallel int r = first; r <= in.getSize() / cols - 1; r += 2) {
            for (@Parallel int c = 1; c < cols; c += STEP) {
                out.set(r * cols + c, in.get(r * cols + c) + r * 1000 + c);
            }
        }
    }

    /** Compile-time constants of this class and of the JDK, inlined. */
    public static void constants(FloatArray out) {
        for (@Parallel int i = 0; i < out.getSize(); i++) {
            float v = i * SCALE + GROUP + STEP + (float) Math.PI;
            v += i < Integer.MAX_VALUE ? 1 : 0;
            v += i == 0 ? Float.MIN_VALUE : 0f;
            v += (float) (OFFSET % 1000) + Long.SIZE;
            out.set(i, i == 1 ? Float.NEGATIVE_INFINITY : v);
        }
    }

    private static float square(float v) {
        return v * v;
    }

    /** Named like an OpenCL built-in, to check that the translation renames it. */
    private static float dot(FloatArray a, FloatArray b, int offset, int n) {
        float s = 0f;
        for (int k = 0; k < n; k++) {
            s += a.get(offset + k) * b.get(k);
        }
        return s;
    }

    static boolean isEven(int v) {
        return (v & 1) == 0;
    }

    private static void store(FloatArray out, int i, float v) {
        out.set(i, v);
    }

    private static float norm(float x, double y) {
        return KernelMath.sqrt(square(x) + square((float) y));
    }

    /** Device functions: scalar and array parameters, nested calls, boolean and void results. */
    public static void deviceFunctions(FloatArray m, FloatArray v, FloatArray out, int n) {
        for (@Parallel int row = 0; row < n; row++) {
            float d = dot(m, v, row * n, n);
            store(out, row, isEven(row) ? norm(d, 1) : square(d));
        }
    }

    /** Every KernelMath function, float and int overloads. */
    public static void kernelMath(FloatArray in, FloatArray out) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            float x = in.get(i);
            float r = KernelMath.exp(x) + KernelMath.log(x) + KernelMath.sqrt(x) + KernelMath.rsqrt(x)
                    + KernelMath.tanh(x) + KernelMath.erf(x) + KernelMath.pow(x, 1.5f) + KernelMath.sin(x)
                    + KernelMath.cos(x) + KernelMath.floor(x * 3) + KernelMath.ceil(x * 3) + KernelMath.fma(x, 2f, 1f)
                    + KernelMath.min(x, 1f) + KernelMath.max(x, 1f) + KernelMath.abs(-x);
            int k = KernelMath.min(i, 3) + KernelMath.max(i, 3) + KernelMath.abs(5 - i);
            out.set(i, r + k);
        }
    }

    /** java.lang.Math functions (computed in float on devices), int and long overloads. */
    public static void javaMath(FloatArray in, FloatArray out) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            float x = in.get(i);
            float r = (float) (Math.exp(x) + Math.log(x) + Math.sqrt(x) + Math.tanh(x) + Math.pow(x, 2) + Math.sin(x)
                    + Math.cos(x) + Math.floor(x) + Math.ceil(x)) + Math.fma(x, x, 1f);
            r += Math.min(x, 0.5f) + Math.max(x, 0.5f) + Math.abs(-x);
            long m = Math.min(i, 5) + Math.max(i, 5) + Math.abs(i - 10) + Math.max(2L, i);
            out.set(i, r + m);
        }
    }

    /** fp16 storage: loads widen to float, stores round to nearest even. */
    public static void halfFloats(HalfFloatArray in, FloatArray scale, HalfFloatArray out) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            out.set(i, in.get(i) * scale.get(i % scale.getSize()) + 0.1f);
        }
    }

    /** Private (per work item) arrays, zero-initialised, indexed, with length. */
    public static void privateArrays(FloatArray in, FloatArray out) {
        for (@Parallel int i = 0; i < out.getSize(); i++) {
            float[] window = new float[4];
            int[] counts = new int[2];
            for (int k = 0; k < window.length; k++) {
                int j = i + k;
                if (j < in.getSize()) {
                    window[k] = in.get(j);
                }
                counts[window[k] > 0 ? 1 : 0]++;
            }
            float s = 0f;
            for (int k = 0; k < 4; k++) {
                s += window[k] * (k + 1);
            }
            out.set(i, s + counts[1] * 100 + counts[0]);
        }
    }

    /** Work-group reduction: local memory, barriers, local and group ids; one partial sum per group. */
    public static void reduceSum(KernelContext ctx, FloatArray in, FloatArray partial) {
        float[] part = ctx.allocateFloatLocalArray(GROUP);
        int l = ctx.localIdx;
        int g = ctx.globalIdx;
        part[l] = g < in.getSize() ? in.get(g) : 0f;
        for (int s = ctx.localGroupSizeX / 2; s > 0; s /= 2) {
            ctx.localBarrier();
            if (l < s) {
                part[l] += part[l + s];
            }
        }
        if (l == 0) {
            partial.set(ctx.groupIdx, part[0]);
        }
    }

    /** Every KernelContext id and size in two dimensions, and an int local array. */
    public static void contextIds(KernelContext ctx, IntArray out) {
        int[] seen = ctx.allocateIntLocalArray(GROUP);
        seen[ctx.localIdy * ctx.localGroupSizeX + ctx.localIdx] = ctx.localIdx;
        ctx.localBarrier();
        int index = ctx.globalIdy * ctx.globalGroupSizeX + ctx.globalIdx;
        int neighbour = seen[ctx.localIdy * ctx.localGroupSizeX + (ctx.localIdx + 1) % ctx.localGroupSizeX];
        out.set(index, neighbour + 10 * ctx.localIdy + 100 * ctx.groupIdx + 1000 * ctx.groupIdy
                + 10000 * ctx.localGroupSizeY + 100000 * ctx.globalGroupSizeY + ctx.globalIdz + ctx.localIdz
                + ctx.groupIdz + ctx.globalGroupSizeZ + ctx.localGroupSizeZ);
    }
}
