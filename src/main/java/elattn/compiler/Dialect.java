package elattn.compiler;

import java.util.ArrayList;
import java.util.List;

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

    /** A local array of a kernel: {@code size} elements of {@code element} (float or int, 4 bytes each). */
    record LocalArray(String element, String name, long size) {
        /** Its bytes rounded up to the 16-byte alignment every local array gets. */
        long alignedBytes() {
            return (4 * size + 15) / 16 * 16;
        }
    }

    /**
     * The declarations of a kernel's local arrays, each 16-byte aligned so that runs of 4 consecutive
     * elements at an index known to be a multiple of 4 compile to one vector load (NVVM emits
     * ld.shared.v4 only when it can prove this). On CUDA, arrays that together pass
     * {@link DynamicLocalMemory#STATIC_LIMIT} are carved out of one {@code extern __shared__} block
     * instead (see {@link #dynamicLocalBytes}): static shared memory cannot be larger.
     */
    List<String> localArrays(List<LocalArray> arrays) {
        if (dynamicLocalBytes(arrays) == 0) {
            return arrays.stream().map(a -> this == OPENCL
                    ? "__local " + a.element() + " " + a.name() + "[" + a.size() + "] __attribute__((aligned(16)));"
                    : "__shared__ __align__(16) " + a.element() + " " + a.name() + "[" + a.size() + "];").toList();
        }
        List<String> declarations = new ArrayList<>();
        declarations.add("extern __shared__ __align__(16) unsigned char elattn_local[];");
        long offset = 0;
        for (LocalArray a : arrays) {
            declarations.add(a.element() + "* " + a.name() + " = (" + a.element() + "*) (elattn_local + " + offset + ");");
            offset += a.alignedBytes();
        }
        return declarations;
    }

    /**
     * The bytes of dynamic shared memory a kernel's launch needs: on CUDA, the 16-byte aligned total
     * of its local arrays when that passes {@link DynamicLocalMemory#STATIC_LIMIT}; else 0 (static
     * arrays; OpenCL has only those, and its build fails past the device's local memory).
     */
    long dynamicLocalBytes(List<LocalArray> arrays) {
        long total = arrays.stream().mapToLong(LocalArray::alignedBytes).sum();
        return this == CUDA && total > DynamicLocalMemory.STATIC_LIMIT ? total : 0;
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
     * What a kernel calling {@code KernelContext.mma16816} (or mmaRow/mmaCol) needs first. CUDA: an
     * architecture guard (mma.sync m16n8k16 needs compute capability 8.0) and the functions; OpenCL has no portable warp matrix operation, so the source refuses to build, saying
     * why, rather than compute something else.
     */
    String mmaPrelude(String kernel) {
        if (this == OPENCL) {
            return "#error \"kernel " + kernel + " uses KernelContext.mma16816 (tensor cores), which is CUDA-only:"
                    + " run it on a cuda device (compute capability 8.0+), or on OpenCL use a portable kernel"
                    + " without mma16816 (the kernel's Javadoc names one)\"\n\n";
        }
        return """
                // KernelContext.mma16816: warp-level tensor-core multiply-accumulate (PTX mma.sync m16n8k16).
                #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
                #error "kernel %s uses KernelContext.mma16816 (tensor-core mma.sync.m16n8k16), which needs compute capability 8.0 or newer; on older GPUs use a portable kernel without mma16816 (the kernel's Javadoc names one)"
                #endif

                // Warps are runs of 32 threads in x-fastest order (from threadIdx, so that repeated uses CSE).
                __device__ __forceinline__ int elattn_lane() {
                    return (int) ((threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)) & 31);
                }

                // Pair q (k = 2q, 2q + 1) of an fp32 tile row: two values rounded to fp16 (nearest even) by one cvt.
                __device__ __forceinline__ unsigned int elattn_mma_pair(const float* row, int q) {
                    float2 v = *(const float2*) (row + 2 * q);
                    unsigned int pair;
                    asm("cvt.rn.f16x2.f32 %%0, %%1, %%2;" : "=r"(pair) : "f"(v.y), "f"(v.x));
                    return pair;
                }

                // The shared-memory address of p, as ldmatrix takes it.
                __device__ __forceinline__ unsigned int elattn_shared(const void* p) {
                    unsigned int at;
                    asm("{ .reg .u64 s; cvta.to.shared.u64 s, %%1; cvt.u32.u64 %%0, s; }" : "=r"(at) : "l"(p));
                    return at;
                }

                // This lane's fragments, as in the PTX ISA, "Matrix Fragments for mma.m16n8k16 with floating point
                // type": g = lane / 4 and t = lane %% 4 hold A rows g and g + 8 and B column g at k = 2t, 2t + 1
                // (pair t) and 2t + 8, 2t + 9 (pair t + 4). From fp16 pair tiles (KernelMath.packHalf2) one ldmatrix
                // reads a whole fragment (each lane gives the address of one 16-byte row: strides and offsets
                // multiples of 4 ints); from fp32 tiles each pair is a float2 and a cvt.
                __device__ __forceinline__ void elattn_mma_a(unsigned int* f, const int* a, int lda, int lane) {
                    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%%0, %%1, %%2, %%3}, [%%4];"
                                 : "=r"(f[0]), "=r"(f[1]), "=r"(f[2]), "=r"(f[3])
                                 : "r"(elattn_shared(a + (lane & 15) * lda + (lane >> 4) * 4)));
                }
                __device__ __forceinline__ void elattn_mma_a(unsigned int* f, const float* a, int lda, int lane) {
                    const float* a0 = a + (lane >> 2) * lda;
                    const float* a8 = a0 + 8 * lda;
                    f[0] = elattn_mma_pair(a0, lane & 3);
                    f[1] = elattn_mma_pair(a8, lane & 3);
                    f[2] = elattn_mma_pair(a0, (lane & 3) + 4);
                    f[3] = elattn_mma_pair(a8, (lane & 3) + 4);
                }
                // B_j n-major (row c of b is column c of B) ...
                __device__ __forceinline__ void elattn_mma_b(unsigned int* f, const int* b, int ldb, int lane) {
                    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%%0, %%1}, [%%2];"
                                 : "=r"(f[0]), "=r"(f[1]) : "r"(elattn_shared(b + (lane & 7) * ldb + (lane >> 3 & 1) * 4)));
                }
                __device__ __forceinline__ void elattn_mma_b(unsigned int* f, const float* b, int ldb, int lane) {
                    const float* b0 = b + (lane >> 2) * ldb;
                    f[0] = elattn_mma_pair(b0, lane & 3);
                    f[1] = elattn_mma_pair(b0, (lane & 3) + 4);
                }
                // Two neighbouring B_j, B_j+1 (rows 8 j .. 8 j + 15 of b) by one ldmatrix.x4.
                __device__ __forceinline__ void elattn_mma_b2(unsigned int* f, unsigned int* g, const int* b, int ldb, int lane) {
                    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%%0, %%1, %%2, %%3}, [%%4];"
                                 : "=r"(f[0]), "=r"(f[1]), "=r"(g[0]), "=r"(g[1])
                                 : "r"(elattn_shared(b + ((lane & 7) + (lane >> 4) * 8) * ldb + (lane >> 3 & 1) * 4)));
                }
                __device__ __forceinline__ void elattn_mma_b2(unsigned int* f, unsigned int* g, const float* b, int ldb, int lane) {
                    elattn_mma_b(f, b, ldb, lane);
                    elattn_mma_b(g, b + 8 * ldb, ldb, lane);
                }
                // ... or k-major (KernelContext.mmaTilesTransposed: row p of b holds B[p][..]), read transposed.
                __device__ __forceinline__ void elattn_mma_b_transposed(unsigned int* f, const int* b, int ldb, int lane) {
                    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%%0, %%1}, [%%2];"
                                 : "=r"(f[0]), "=r"(f[1]) : "r"(elattn_shared(b + (lane & 15) * ldb)));
                }

                // acc[4 (i * TN + j) ..] += A_i B_j over the warp's TM x TN grid of 16x8 tiles (KernelContext.mmaTiles;
                // mma16816 is the 1 x 1 grid): A_i[r][p] is pair p / 2 of row 16 i + r of a (row stride lda elements of
                // a), B_j[p][c] pair p / 2 of row 8 j + c of b, or with KB (mmaTilesTransposed) pair (8 j + c) / 2 of
                // row p. Each fragment is read once, into registers; acc entry e is at row g + 8 (e / 2), column
                // 2t + e %% 2.
                template <int TM, int TN, bool KB, typename TA, typename TB>
                __device__ __forceinline__ void elattn_mma_tiles(float* acc, const TA* a, int lda, const TB* b, int ldb) {
                    int lane = elattn_lane();
                    unsigned int fa[TM][4];
                    unsigned int fb[TN][2];
                    #pragma unroll
                    for (int i = 0; i < TM; i++) {
                        elattn_mma_a(fa[i], a + 16 * i * lda, lda, lane);
                    }
                    #pragma unroll
                    for (int j = 0; j < TN; j++) {
                        if constexpr (KB) {
                            elattn_mma_b_transposed(fb[j], b + 4 * j, ldb, lane);
                        } else if (j %% 2 == 0 && j + 1 < TN) {
                            elattn_mma_b2(fb[j], fb[j + 1], b + 8 * j * ldb, ldb, lane);
                        } else if (j %% 2 == 0) {
                            elattn_mma_b(fb[j], b + 8 * j * ldb, ldb, lane);
                        }
                    }
                    #pragma unroll
                    for (int i = 0; i < TM; i++) {
                        #pragma unroll
                        for (int j = 0; j < TN; j++) {
                            float* d = acc + 4 * (i * TN + j);
                            asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"
                                " {%%0, %%1, %%2, %%3}, {%%4, %%5, %%6, %%7}, {%%8, %%9}, {%%0, %%1, %%2, %%3};"
                                : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                                : "r"(fa[i][0]), "r"(fa[i][1]), "r"(fa[i][2]), "r"(fa[i][3]), "r"(fb[j][0]), "r"(fb[j][1]));
                        }
                    }
                }

                // KernelContext.copyAsync: 16 bytes from global to shared memory without registers (cp.async, cache
                // global level only), zeros when !inside (src-size 0: nothing is read).
                __device__ __forceinline__ void elattn_copy_async(void* local, const void* global, bool inside) {
                    unsigned int to;
                    asm("{ .reg .u64 s; cvta.to.shared.u64 s, %%1; cvt.u32.u64 %%0, s; }" : "=r"(to) : "l"(local));
                    asm volatile("cp.async.cg.shared.global [%%0], [%%1], 16, %%2;"
                                 :: "r"(to), "l"(global), "r"(inside ? 16 : 0) : "memory");
                }

                """.formatted(kernel);
    }

    /**
     * {@code KernelContext.mmaTiles} (and mma16816, the 1 x 1 grid; mmaTilesTransposed with
     * {@code transposedB}) on C pointers to the accumulators
     * and the two tiles (see {@link #mmaPrelude}).
     */
    String mma(String acc, String a, String lda, long tilesM, String b, String ldb, long tilesN, boolean transposedB) {
        return this == OPENCL ? "(void) 0 /* mma16816: CUDA only, see the #error above */"
                : "elattn_mma_tiles<" + tilesM + ", " + tilesN + ", " + transposedB + ">(" + acc + ", " + a + ", " + lda
                        + ", " + b + ", " + ldb + ")";
    }

    /** {@code KernelContext.copyAsync}: 16 bytes from {@code source[from]} (or zeros) to the local address {@code local}. */
    String copyAsync(String local, String source, String from, String inside) {
        return this == OPENCL ? "(void) 0 /* copyAsync: CUDA only, see the #error above */"
                : "elattn_copy_async(" + local + ", " + inside + " ? " + source + " + " + from + " : " + source + ", "
                        + inside + ")";
    }

    /** {@code KernelContext.commitCopies()}. */
    String commitCopies() {
        return this == OPENCL ? "(void) 0 /* commitCopies: CUDA only */"
                : "asm volatile(\"cp.async.commit_group;\" ::: \"memory\")";
    }

    /** {@code KernelContext.awaitCopies(pending)}, {@code pending} a constant. */
    String awaitCopies(long pending) {
        return this == OPENCL ? "(void) 0 /* awaitCopies: CUDA only */"
                : "asm volatile(\"cp.async.wait_group " + pending + ";\" ::: \"memory\")";
    }

    /** {@code KernelContext.mmaRow(e)}: the tile row of accumulator entry e of this lane. */
    String mmaRow(String e) {
        return this == OPENCL ? "0 /* mmaRow: CUDA only */" : "(elattn_lane() / 4 + (" + e + ") / 2 * 8)";
    }

    /** {@code KernelContext.mmaCol(e)}: the tile column of accumulator entry e of this lane. */
    String mmaCol(String e) {
        return this == OPENCL ? "0 /* mmaCol: CUDA only */" : "(elattn_lane() % 4 * 2 + (" + e + ") % 2)";
    }

    /**
     * Definitions every translation unit of this dialect needs before the functions. The float to
     * integer casts test for NaN themselves: NVIDIA's OpenCL {@code convert_long_sat} and CUDA's
     * {@code __float2ll_rz} give the most negative value for NaN where Java gives 0 (seen on H200).
     */
    String prelude(boolean usesHalf, boolean usesPackHalf2) {
        String casts = this == OPENCL ? """
                static inline int elattn_float_to_int(float v) { return isnan(v) ? 0 : convert_int_sat(v); }
                static inline long elattn_float_to_long(float v) { return isnan(v) ? 0 : convert_long_sat(v); }

                """ : """
                __device__ __forceinline__ int elattn_float_to_int(float v) { return v != v ? 0 : __float2int_rz(v); }
                __device__ __forceinline__ long long elattn_float_to_long(float v) { return v != v ? 0 : __float2ll_rz(v); }

                """;
        return casts + mathHelpers() + halfPrelude(usesHalf || usesPackHalf2) + (usesPackHalf2 ? packHalf2() : "");
    }

    /** {@code KernelMath.signum}, {@code clamp} and {@code fract} (and {@code Math.signum}, {@code Math.clamp}). */
    private String mathHelpers() {
        String q = this == OPENCL ? "static inline" : "__device__ __forceinline__";
        String floor = floatFunction("floor");
        String min = floatFunction("fmin");
        String max = floatFunction("fmax");
        return q + " float elattn_signum(float x) { return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x; }\n"
                + q + " float elattn_clamp(float x, float lo, float hi) { return " + min + "(" + max + "(x, lo), hi); }\n"
                + q + " float elattn_fract(float x) { return x - " + floor + "(x); }\n\n";
    }

    /** {@code KernelMath.packHalf2}: two floats rounded to fp16, lo in the low 16 bits. */
    private String packHalf2() {
        return this == OPENCL ? """
                static inline int elattn_pack_half2(float lo, float hi) {
                    ushort bits[2];
                    vstore_half(lo, 0, (half*) bits);
                    vstore_half(hi, 1, (half*) bits);
                    return (int) ((uint) bits[0] | (uint) bits[1] << 16);
                }

                """ : """
                __device__ __forceinline__ int elattn_pack_half2(float lo, float hi) {
                    return (int) ((unsigned int) elattn_float_to_half(lo) | (unsigned int) elattn_float_to_half(hi) << 16);
                }

                """;
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
