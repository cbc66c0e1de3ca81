package elattn.compiler.features;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.KernelMath;
import elattn.kernel.LaunchBounds;
import elattn.kernel.Parallel;

/**
 * One small kernel per feature of the kernel language, the corpus on which the kernel compiler is
 * tested: each runs on the JVM through its generated {@code $$Jvm} form (LanguageFeatureKernelsTest)
 * and through a TaskGraph on every test device (LanguageFeatureDeviceTest), always against a plain
 * sequential Java call of the same method (KernelContext kernels against a reference in the test). {@link LanguageFeatureCases} gives the arguments to run them with.
 */
public final class LanguageFeatureKernels {
    /** Work-group size of the KernelContext kernels (local arrays need a constant size). */
    public static final int GROUP = 64;
    /** Work-group size (4 x 2 x 2) of {@link #contextIds3D}. */
    public static final int GROUP_3D = 16;
    /** Float outputs per element of {@link #kernelMath} and {@link #javaMath}, one per function. */
    public static final int MATH_RESULTS = 24;
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

    /** Every KernelMath function, one output each (so each is checked with its own device error bound). */
    public static void kernelMath(FloatArray in, FloatArray out, IntArray n, IntArray ints) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            float x = in.get(i);
            float p = KernelMath.abs(x) + 0.05f;
            int o = i * MATH_RESULTS;
            out.set(o, KernelMath.exp(x));
            out.set(o + 1, KernelMath.log(p));
            out.set(o + 2, KernelMath.sqrt(p));
            out.set(o + 3, KernelMath.rsqrt(p));
            out.set(o + 4, KernelMath.tanh(x));
            out.set(o + 5, KernelMath.erf(x));
            out.set(o + 6, KernelMath.pow(p, x));
            out.set(o + 7, KernelMath.sin(x));
            out.set(o + 8, KernelMath.cos(x));
            out.set(o + 9, KernelMath.floor(x * 3));
            out.set(o + 10, KernelMath.ceil(x * 3));
            out.set(o + 11, KernelMath.fma(x, 2.5f, -1f));
            out.set(o + 12, KernelMath.min(x, 0.5f));
            out.set(o + 13, KernelMath.max(x, 0.5f));
            out.set(o + 14, KernelMath.abs(x));
            out.set(o + 15, KernelMath.tan(x * 0.25f));
            out.set(o + 16, KernelMath.asin(x / 6.5f));
            out.set(o + 17, KernelMath.acos(x / 6.5f));
            out.set(o + 18, KernelMath.atan(x));
            out.set(o + 19, KernelMath.atan2(x, p - 1f));
            out.set(o + 20, KernelMath.log2(p));
            out.set(o + 21, KernelMath.signum(x));
            out.set(o + 22, KernelMath.clamp(x, -KernelMath.PI / 4, 2f));
            out.set(o + 23, KernelMath.fract(x)); // no product: nvcc may contract it into an fma once inlined
            int k = n.get(i);
            ints.set(i * 3, KernelMath.min(k, 7 - i));
            ints.set(i * 3 + 1, KernelMath.max(k, -i));
            ints.set(i * 3 + 2, KernelMath.abs(k));
        }
    }

    /**
     * The java.lang.Math equivalents (double on the JVM, float on devices), in the output layout of
     * {@link #kernelMath}; slot 3 is {@code 1 / Math.sqrt} (double division), slot 5 a negative base
     * to an integral power. Int and long overloads of min, max, abs.
     */
    public static void javaMath(FloatArray in, FloatArray out, IntArray n, IntArray ints) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            float x = in.get(i);
            float p = Math.abs(x) + 0.05f;
            int o = i * MATH_RESULTS;
            out.set(o, (float) Math.exp(x));
            out.set(o + 1, (float) Math.log(p));
            out.set(o + 2, (float) Math.sqrt(p));
            out.set(o + 3, (float) (1 / Math.sqrt(p)));
            out.set(o + 4, (float) Math.tanh(x));
            out.set(o + 5, (float) Math.pow(x, 2));
            out.set(o + 6, (float) Math.pow(p, x));
            out.set(o + 7, (float) Math.sin(x));
            out.set(o + 8, (float) Math.cos(x));
            out.set(o + 9, (float) Math.floor(x * 3));
            out.set(o + 10, (float) Math.ceil(x * 3));
            out.set(o + 11, Math.fma(x, 2.5f, -1f));
            out.set(o + 12, Math.min(x, 0.5f));
            out.set(o + 13, Math.max(x, 0.5f));
            out.set(o + 14, Math.abs(x));
            out.set(o + 15, (float) Math.tan(x * 0.25f));
            out.set(o + 16, (float) Math.asin(x / 6.5f));
            out.set(o + 17, (float) Math.acos(x / 6.5f));
            out.set(o + 18, (float) Math.atan(x));
            out.set(o + 19, (float) Math.atan2(x, p - 1f));
            out.set(o + 20, (float) (Math.log(p) * 1.4426950408889634));
            out.set(o + 21, Math.signum(x));
            out.set(o + 22, Math.clamp(x, (float) (-Math.PI / 4), 2f));
            out.set(o + 23, x - (float) Math.floor(x)); // no product: OpenCL may contract a * b - c into an fma
            int k = n.get(i);
            long wide = (long) k * 3;
            ints.set(i * 5, Math.min(k, 7 - i));
            ints.set(i * 5 + 1, Math.max(k, -i));
            ints.set(i * 5 + 2, Math.abs(k));
            ints.set(i * 5 + 3, (int) (Math.max(wide, -5L) >> 2));
            ints.set(i * 5 + 4, (int) (Math.abs(wide) >>> 3) + (int) Math.min(wide, 100L));
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

    /**
     * Work-group reduction: local memory, barriers, local and group ids; one partial sum per group.
     * Its launch bounds are CUDA's {@code __launch_bounds__}, nothing in OpenCL C.
     */
    @LaunchBounds(maxItems = GROUP, minGroups = 2)
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

    /** Every KernelContext id and size in three dimensions, and local int and float arrays across the group. */
    public static void contextIds3D(KernelContext ctx, IntArray ids, FloatArray moved) {
        int[] token = ctx.allocateIntLocalArray(GROUP_3D);
        float[] value = ctx.allocateFloatLocalArray(GROUP_3D);
        int local = (ctx.localIdz * ctx.localGroupSizeY + ctx.localIdy) * ctx.localGroupSizeX + ctx.localIdx;
        int global = (ctx.globalIdz * ctx.globalGroupSizeY + ctx.globalIdy) * ctx.globalGroupSizeX + ctx.globalIdx;
        token[local] = global;
        value[local] = global * 0.5f;
        ctx.localBarrier();
        int mirror = ctx.localGroupSizeX * ctx.localGroupSizeY * ctx.localGroupSizeZ - 1 - local;
        int o = global * 16;
        ids.set(o, ctx.globalIdx);
        ids.set(o + 1, ctx.globalIdy);
        ids.set(o + 2, ctx.globalIdz);
        ids.set(o + 3, ctx.localIdx);
        ids.set(o + 4, ctx.localIdy);
        ids.set(o + 5, ctx.localIdz);
        ids.set(o + 6, ctx.groupIdx);
        ids.set(o + 7, ctx.groupIdy);
        ids.set(o + 8, ctx.groupIdz);
        ids.set(o + 9, ctx.globalGroupSizeX);
        ids.set(o + 10, ctx.globalGroupSizeY);
        ids.set(o + 11, ctx.globalGroupSizeZ);
        ids.set(o + 12, ctx.localGroupSizeX);
        ids.set(o + 13, ctx.localGroupSizeY);
        ids.set(o + 14, ctx.localGroupSizeZ);
        ids.set(o + 15, token[mirror]);
        moved.set(global, value[mirror] + ctx.groupIdz);
    }

    /**
     * Int and long division and remainder with negative operands (truncating), variable shift counts
     * (negative and beyond the width, masked as in Java), constant counts of 32 and more or negative.
     */
    public static void intDivision(IntArray a, IntArray b, IntArray out) {
        for (@Parallel int i = 0; i < a.getSize(); i++) {
            int x = a.get(i);
            int y = b.get(i);
            long lx = (long) x * 3_000_000_019L;
            int o = i * 12;
            out.set(o, x / y);
            out.set(o + 1, x % y);
            out.set(o + 2, x / -3 + x % -5);
            out.set(o + 3, (int) (lx / y));
            out.set(o + 4, (int) (lx % y));
            out.set(o + 5, x << y);
            out.set(o + 6, x >> y);
            out.set(o + 7, x >>> y);
            out.set(o + 8, x >>> 40 ^ x << 33 ^ x >> -1);
            out.set(o + 9, (int) (lx >>> y ^ lx << (y * 7) >>> 32));
            out.set(o + 10, (int) (lx >> 70 ^ lx >>> -3));
            out.set(o + 11, (int) ((lx >>> 32) * 31 + (lx >> 40)));
        }
    }

    /** boolean locals: comparisons, &&, ||, !, ^, ==, compound &=, |=, ^=, a boolean device function. */
    public static void booleans(IntArray in, IntArray out) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            int v = in.get(i);
            boolean negative = v < 0;
            boolean even = isEven(v);
            boolean both = negative && even;
            boolean either = negative || even;
            boolean differ = negative ^ even;
            boolean flag = !both;
            flag &= v % 3 != 0;
            flag |= v == 42;
            flag ^= either;
            boolean same = negative == even;
            out.set(i, (both ? 1 : 0) | (either ? 2 : 0) | (differ ? 4 : 0) | (flag ? 8 : 0) | (same ? 16 : 0)
                    | (!same != flag ? 32 : 0));
        }
    }

    /**
     * The values of prefix and postfix ++/-- (int, long, float, private array elements), long compound
     * shifts, and compound assignments with Java's implicit narrowing ({@code int *= float}).
     */
    public static void increments(IntArray in, FloatArray f, IntArray out) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            int k = in.get(i);
            int a = k++;
            int b = ++k;
            int c = k--;
            int d = --k;
            long big = k;
            big++;
            big *= 3;
            big <<= 33;
            big >>>= 7;
            big %= 1_000_000_007L;
            int narrowed = k;
            narrowed *= 1.5f;
            narrowed += 0.75;
            float x = f.get(i);
            x++;
            float y = x--;
            int[] hist = new int[4];
            hist[k & 3]++;
            hist[(k >> 2) & 3] += 2;
            hist[0]--;
            int j = 0;
            hist[j++] += 10;
            hist[++j] *= 3;
            f.set(i, x * 2 + y);
            int o = i * 8;
            out.set(o, a);
            out.set(o + 1, b);
            out.set(o + 2, c);
            out.set(o + 3, d);
            out.set(o + 4, (int) (big ^ big >>> 32));
            out.set(o + 5, narrowed);
            out.set(o + 6, hist[0] + 100 * hist[1] + 10000 * hist[2] + 1000000 * hist[3]);
            out.set(o + 7, j);
        }
    }

    /** break and continue in while(true), do-while and nested for loops; a loop counting down; braceless bodies. */
    public static void loopControl(IntArray in, IntArray out) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            int v = in.get(i);
            int evens = 0;
            int w = v;
            while (true) {
                w--;
                if (w < 0) {
                    break;
                }
                if (w % 2 == 1) {
                    continue;
                }
                evens++;
            }
            int odd = 0;
            int u = v;
            do {
                u -= 3;
                if (u % 2 == 0) {
                    continue;
                }
                odd++;
                if (odd > 5) {
                    break;
                }
            } while (u > 0);
            int pairs = 0;
            for (int p = 0; p < 10; p++) {
                for (int q = 0; q < 10; q++) {
                    if (q > p) {
                        break;
                    }
                    if ((p + q) % 3 == 0) {
                        continue;
                    }
                    pairs += p * q;
                }
                if (pairs > v) {
                    break;
                }
            }
            int count = 0;
            for (int k = v % 17; k > 0; k -= 3)
                count += k;
            out.set(i * 4, evens);
            out.set(i * 4 + 1, odd * 1000 + u);
            out.set(i * 4 + 2, pairs);
            out.set(i * 4 + 3, count);
        }
    }

    /**
     * Limits of the JDK as constants: infinities as running max/min seeds (softmax style), Float.MAX_VALUE,
     * MIN_NORMAL, MIN_VALUE (subnormal), NaN, constant expressions javac folds to infinity or zero, and
     * Integer/Long/Short/Byte limits (Long.MIN_VALUE is no valid C literal).
     */
    public static void limits(FloatArray in, FloatArray f, IntArray n, int cols) {
        for (@Parallel int row = 0; row < in.getSize() / cols; row++) {
            float max = Float.NEGATIVE_INFINITY;
            float min = Float.POSITIVE_INFINITY;
            float smallest = Float.MAX_VALUE;
            for (int k = 0; k < cols; k++) {
                float v = in.get(row * cols + k);
                max = Math.max(max, v);
                min = KernelMath.min(min, v);
                smallest = Math.min(smallest, Math.abs(v));
            }
            int o = row * 8;
            f.set(o, max);
            f.set(o + 1, min);
            f.set(o + 2, smallest);
            f.set(o + 3, row % 2 == 0 ? Float.MAX_VALUE : -Float.MAX_VALUE);
            f.set(o + 4, Float.MIN_NORMAL * (row + 1));
            f.set(o + 5, row == 0 ? Float.MIN_VALUE : Float.NaN);
            f.set(o + 6, max > -Float.MAX_VALUE ? Float.MAX_VALUE * 2 : 0f);
            f.set(o + 7, (float) Math.E * row + (float) Double.MIN_VALUE);
            long lmin = Long.MIN_VALUE;
            long lmax = Long.MAX_VALUE;
            int p = row * 6;
            n.set(p, Integer.MIN_VALUE + row);
            n.set(p + 1, Integer.MAX_VALUE - row);
            n.set(p + 2, (int) lmax);
            n.set(p + 3, (int) (lmin >>> (33 + row % 2)));
            n.set(p + 4, Short.MIN_VALUE + Byte.MAX_VALUE * Short.MAX_VALUE + Byte.MIN_VALUE);
            n.set(p + 5, (int) (lmax / (row + 1) % 1_000_003));
        }
    }

    /**
     * fp16 conversions alone: floats rounded to fp16 on store (ties, subnormals, overflow) and fp16 bit
     * patterns widened to float on load, so that every backend can be held to HalfFloatArray's rounding.
     */
    public static void halfRoundTrip(FloatArray in, HalfFloatArray rounded, HalfFloatArray halves, FloatArray widened) {
        for (@Parallel int i = 0; i < halves.getSize(); i++) {
            if (i < in.getSize()) {
                rounded.set(i, in.get(i));
            }
            widened.set(i, halves.get(i));
        }
    }

    /** KernelMath.packHalf2: consecutive floats rounded to fp16 and packed in pairs (the tiles of mma16816). */
    public static void packHalfPairs(FloatArray in, IntArray out) {
        for (@Parallel int i = 0; i < out.getSize(); i++) {
            out.set(i, KernelMath.packHalf2(in.get(2 * i), in.get(2 * i + 1)));
        }
    }

    /** One dimension with a parameter start, a <= bound and a constant step. */
    public static void strided1D(IntArray out, int first, int last) {
        for (@Parallel int i = first; i <= last; i += 4) {
            out.set(i, out.get(i) + i * 3 + 1);
        }
    }

    /**
     * Switch statements: {@code case L:} groups with fall-through and a default, {@code case L1, L2 ->}
     * rules, a break that leaves the switch inside the {@code @Parallel} loop, and a continue in a
     * switch inside a sequential loop.
     */
    public static void switches(IntArray in, IntArray out) {
        for (@Parallel int i = 0; i < in.getSize(); i++) {
            int v = in.get(i);
            int a = 0;
            switch (v % 5) {
                case 0:
                    a += 10;
                case 1:
                case -1:
                    a += 1;
                    break;
                case 2: {
                    int twice = v * 2;
                    a = twice;
                    break;
                }
                default:
                    a = -3;
            }
            int b;
            switch (v & 3) {
                case 0, 3 -> b = 7;
                case 1 -> {
                    b = v;
                    if (v > 50) {
                        break;
                    }
                    b += 1000;
                }
                default -> b = -v;
            }
            int c = 0;
            for (int k = 0; k < 6; k++) {
                switch (k) {
                    case 2:
                        continue;
                    case 4:
                        c += 100;
                        break;
                    default:
                        c += k;
                }
                c *= 2;
            }
            out.set(i * 3, a);
            out.set(i * 3 + 1, b);
            out.set(i * 3 + 2, c + v);
        }
    }

    /**
     * Private arrays with their values: constants, an int among floats (widened), a value read from
     * an array, {@code new int[] {...}}; read with constant and computed indices and written.
     */
    public static void arrayInitializers(FloatArray in, FloatArray out) {
        for (@Parallel int i = 1; i < in.getSize() - 1; i++) {
            float[] weights = {0.25f, 0.5f, 0.25f};
            int[] offsets = new int[] {-1, 0, 1};
            float[] mix = {2, in.get(i), 2.5f};
            float sum = 0f;
            for (int k = 0; k < 3; k++) {
                sum += weights[k] * in.get(i + offsets[k]);
            }
            mix[0] += sum;
            out.set(i, mix[0] * mix[2] - mix[1]);
        }
    }

    /**
     * Loop bounds named through locals of the parameters, declared before the loops and never
     * assigned (one naming another), on a rising and a falling nested loop.
     */
    public static void localBounds(FloatArray out, int nx, int ny) {
        int rows = Math.min(ny, out.getSize() / nx);
        int lastRow = rows - 1;
        int half = nx / 2;
        for (@Parallel int y = lastRow; y >= 1; y--) {
            for (@Parallel int x = half; x < nx; x++) {
                int idx = y * nx + x;
                out.set(idx, out.get(idx) * 2 + x - y);
            }
        }
    }

    /** A falling loop, from {@code last} down to {@code first} inclusive. */
    public static void falling1D(IntArray out, int first, int last) {
        for (@Parallel int i = last; i >= first; i--) {
            out.set(i, out.get(i) * 2 + i);
        }
    }

    /** Falling nested loops: the outer to 0 inclusive by one, the inner by 2 to an exclusive bound. */
    public static void falling2D(FloatArray out, int nx, int ny) {
        for (@Parallel int y = ny - 1; y >= 0; --y) {
            for (@Parallel int x = nx - 2; x > 0; x -= 2) {
                int idx = y * nx + x;
                out.set(idx, out.get(idx) + x + 100 * y);
            }
        }
    }

    /** Three dimensions, each with its own non-zero start, bound form and step. */
    public static void strided3D(FloatArray out, int nx, int ny, int nz) {
        for (@Parallel int z = 1; z <= nz - 1; z += 2) {
            for (@Parallel int y = 2; y < ny; y += STEP) {
                for (@Parallel int x = nx / 4; x <= nx - 2; x += 5) {
                    int idx = (z * ny + y) * nx + x;
                    out.set(idx, out.get(idx) + x + 100 * y + 10000 * z);
                }
            }
        }
    }

    private static long mix(long a, int b) {
        return a * 31 + b;
    }

    private static boolean inRange(int v, int lo, int hi) {
        return v >= lo && v < hi;
    }

    private static int sumInts(IntArray a, int from, int n) {
        int s = 0;
        for (int k = 0; k < n; k++) {
            s += a.get(from + k);
        }
        return s;
    }

    private static float halfAt(HalfFloatArray h, int i) {
        return h.get(i % h.getSize());
    }

    private static double twice(double v) {
        return v * 2;
    }

    private static void putHalf(HalfFloatArray h, int i, float v) {
        h.set(i, v);
    }

    /** Device functions with IntArray, HalfFloatArray, long, boolean and double parameters and results. */
    public static void deviceFunctionTypes(IntArray a, HalfFloatArray h, IntArray out, FloatArray f, long seed) {
        for (@Parallel int i = 0; i < out.getSize(); i++) {
            int s = sumInts(a, i, 3);
            long m = mix(seed, s);
            out.set(i, inRange(s, -50, 50) ? (int) (m >>> 16) : (int) m);
            f.set(i, (float) twice(halfAt(h, i)) + s);
            if (i < h.getSize()) {
                putHalf(h, i, h.get(i) * 0.5f);
            }
        }
    }
}
