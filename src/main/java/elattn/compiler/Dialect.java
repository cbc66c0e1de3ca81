package elattn.compiler;

/**
 * The differences between the two C dialects kernels are translated to: OpenCL C 1.2 and CUDA C++
 * (compiled by NVRTC). Everything else the translator emits is common C.
 */
enum Dialect {
    OPENCL(".cl"),
    CUDA(".cu");

    private static final String[] AXES = {"x", "y", "z"};

    /** Resource file suffix. */
    final String suffix;

    Dialect(String suffix) {
        this.suffix = suffix;
    }

    String kernelQualifier() {
        return this == OPENCL ? "__kernel void" : "extern \"C\" __global__ void";
    }

    String deviceFunctionQualifier() {
        return this == OPENCL ? "static inline" : "__device__";
    }

    /** The C parameter type of an array parameter with element {@code element} (float, int or half). */
    String pointer(String element) {
        String c = element.equals("half") && this == CUDA ? "unsigned short" : element;
        return this == OPENCL ? "__global " + c + "*" : c + "*";
    }

    String longType() {
        return this == OPENCL ? "long" : "long long";
    }

    String unsigned(boolean isLong) {
        return this == OPENCL ? (isLong ? "ulong" : "uint") : (isLong ? "unsigned long long" : "unsigned int");
    }

    String longSuffix() {
        return this == OPENCL ? "L" : "LL";
    }

    String globalId(int d) {
        return this == OPENCL ? "(int) get_global_id(" + d + ")"
                : "(int) (blockIdx." + AXES[d] + " * blockDim." + AXES[d] + " + threadIdx." + AXES[d] + ")";
    }

    String globalSize(int d) {
        return this == OPENCL ? "(int) get_global_size(" + d + ")" : "(int) (gridDim." + AXES[d] + " * blockDim." + AXES[d] + ")";
    }

    String localId(int d) {
        return this == OPENCL ? "(int) get_local_id(" + d + ")" : "(int) threadIdx." + AXES[d];
    }

    String localSize(int d) {
        return this == OPENCL ? "(int) get_local_size(" + d + ")" : "(int) blockDim." + AXES[d];
    }

    String groupId(int d) {
        return this == OPENCL ? "(int) get_group_id(" + d + ")" : "(int) blockIdx." + AXES[d];
    }

    String barrier() {
        return this == OPENCL ? "barrier(CLK_LOCAL_MEM_FENCE)" : "__syncthreads()";
    }

    /**
     * A local array, 16-byte aligned so that runs of 4 consecutive elements at an index known to be a
     * multiple of 4 compile to one vector load (NVVM emits ld.shared.v4 only when it can prove this).
     */
    String localArray(String element, String name, long size) {
        return this == OPENCL
                ? "__local " + element + " " + name + "[" + size + "] __attribute__((aligned(16)));"
                : "__shared__ __align__(16) " + element + " " + name + "[" + size + "];";
    }

    String loadHalf(String array, String index) {
        return this == OPENCL ? "vload_half(" + index + ", " + array + ")" : "elattn_half_to_float(" + array + "[" + index + "])";
    }

    String storeHalf(String array, String index, String value) {
        return this == OPENCL ? "vstore_half(" + value + ", " + index + ", " + array + ")"
                : array + "[" + index + "] = elattn_float_to_half(" + value + ")";
    }

    /** Java's float-to-int conversion: rounds toward zero, saturates, NaN gives 0 (see {@link #prelude}). */
    String floatToInt(String value, boolean toLong) {
        return (toLong ? "elattn_float_to_long(" : "elattn_float_to_int(") + value + ")";
    }

    /** The fp32 built-in for a float math function named as in OpenCL C (exp, fmin, fmod, ...). */
    String floatFunction(String openclName) {
        return this == OPENCL ? openclName : openclName + "f";
    }

    /** The built-in for an integer math function (min, max, abs) on int or long. */
    String integerFunction(String name, boolean isLong) {
        if (name.equals("abs")) {
            // OpenCL's abs returns the unsigned type; Java's keeps the signed one (abs(MIN_VALUE) == MIN_VALUE).
            return this == OPENCL ? (isLong ? "(long) abs" : "(int) abs") : (isLong ? "llabs" : "abs");
        }
        return name;
    }

    String infinity(boolean negative) {
        String inf = this == OPENCL ? "INFINITY" : "__int_as_float(0x7f800000)";
        return negative ? "(-" + inf + ")" : inf;
    }

    String nan() {
        return this == OPENCL ? "NAN" : "__int_as_float(0x7fc00000)";
    }

    /**
     * Definitions every translation unit of this dialect needs before the functions. The float to
     * integer casts test for NaN themselves: NVIDIA's OpenCL {@code convert_long_sat} and CUDA's
     * {@code __float2ll_rz} give the most negative value for NaN where Java gives 0 (seen on H200).
     */
    String prelude(boolean usesHalf) {
        String casts = this == OPENCL ? """
                static inline int elattn_float_to_int(float v) { return isnan(v) ? 0 : convert_int_sat(v); }
                static inline long elattn_float_to_long(float v) { return isnan(v) ? 0 : convert_long_sat(v); }

                """ : """
                __device__ __forceinline__ int elattn_float_to_int(float v) { return v != v ? 0 : __float2int_rz(v); }
                __device__ __forceinline__ long long elattn_float_to_long(float v) { return v != v ? 0 : __float2ll_rz(v); }

                """;
        return casts + halfPrelude(usesHalf);
    }

    private String halfPrelude(boolean usesHalf) {
        if (this == CUDA && usesHalf) {
            return """
                    // fp16 storage: conversions by PTX instructions, so cuda_fp16.h is not needed.
                    __device__ __forceinline__ float elattn_half_to_float(unsigned short h) {
                        float f;
                        asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
                        return f;
                    }

                    __device__ __forceinline__ unsigned short elattn_float_to_half(float f) {
                        unsigned short h;
                        asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
                        return h;
                    }

                    """;
        }
        return "";
    }
}
