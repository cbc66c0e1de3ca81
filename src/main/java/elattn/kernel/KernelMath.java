package elattn.kernel;

/**
 * Float math for kernels: each method maps to the device's fp32 built-in (OpenCL C {@code exp},
 * CUDA {@code expf}, ...). On the JVM they compute in double and round to float, so results agree
 * with devices to within a few ulps. {@code java.lang.Math} calls are accepted in kernels as well and
 * are computed in fp32 on devices (the kernel language has no double; see docs/kernel-language.md).
 */
public final class KernelMath {
    /** pi as a float (TornadoVM's {@code TornadoMath.floatPI()}), a constant the kernels fold in. */
    public static final float PI = (float) Math.PI;

    private KernelMath() {
    }

    public static float exp(float x) {
        return (float) Math.exp(x);
    }

    public static float log(float x) {
        return (float) Math.log(x);
    }

    public static float sqrt(float x) {
        return (float) Math.sqrt(x);
    }

    /** 1 / sqrt(x). */
    public static float rsqrt(float x) {
        return (float) (1.0 / Math.sqrt(x));
    }

    public static float tanh(float x) {
        return (float) Math.tanh(x);
    }

    /** The error function, as used by exact GELU: erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt. */
    public static float erf(float x) {
        return (float) Erf.erf(x);
    }

    public static float pow(float base, float exponent) {
        return (float) Math.pow(base, exponent);
    }

    public static float sin(float x) {
        return (float) Math.sin(x);
    }

    public static float cos(float x) {
        return (float) Math.cos(x);
    }

    public static float tan(float x) {
        return (float) Math.tan(x);
    }

    public static float asin(float x) {
        return (float) Math.asin(x);
    }

    public static float acos(float x) {
        return (float) Math.acos(x);
    }

    public static float atan(float x) {
        return (float) Math.atan(x);
    }

    /** The angle of the point (x, y), in (-pi, pi]. */
    public static float atan2(float y, float x) {
        return (float) Math.atan2(y, x);
    }

    /** Logarithm to base 2. */
    public static float log2(float x) {
        return (float) (Math.log(x) / Math.log(2));
    }

    /** 1, -1, or x itself for zeros and NaN (Java's {@code Math.signum}). */
    public static float signum(float x) {
        return Math.signum(x);
    }

    /**
     * {@code min(max(x, lo), hi)} as {@link #min}/{@link #max} compute it (on devices a NaN operand
     * yields the other one, C's {@code fmin}/{@code fmax}).
     */
    public static float clamp(float x, float lo, float hi) {
        return Math.min(Math.max(x, lo), hi);
    }

    /** {@code x - floor(x)} in fp32: in [0, 1], reaching 1 only by rounding for tiny negative x. */
    public static float fract(float x) {
        return x - (float) Math.floor(x);
    }

    public static float floor(float x) {
        return (float) Math.floor(x);
    }

    public static float ceil(float x) {
        return (float) Math.ceil(x);
    }

    public static float min(float a, float b) {
        return Math.min(a, b);
    }

    public static float max(float a, float b) {
        return Math.max(a, b);
    }

    public static int min(int a, int b) {
        return Math.min(a, b);
    }

    public static int max(int a, int b) {
        return Math.max(a, b);
    }

    public static float abs(float x) {
        return Math.abs(x);
    }

    public static int abs(int x) {
        return Math.abs(x);
    }

    /** a * b + c with one rounding. */
    public static float fma(float a, float b, float c) {
        return Math.fma(a, b, c);
    }

    /**
     * {@code lo} and {@code hi} rounded to fp16 (nearest even) and packed into one int, {@code lo}
     * in bits 0-15: the element pairs of the fp16 tiles that {@link KernelContext#mma16816} reads.
     */
    public static int packHalf2(float lo, float hi) {
        return Float.floatToFloat16(lo) & 0xffff | Float.floatToFloat16(hi) << 16;
    }
}
