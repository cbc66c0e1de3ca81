package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.NativeArray;
import elattn.model.Precision;
import elattn.runtime.TaskFunctions.Task14;
import elattn.runtime.TaskFunctions.Task7;
import elattn.runtime.TaskFunctions.Task8;
import elattn.runtime.TaskFunctions.Task9;
import elattn.tasks.Embeddings;
import elattn.tasks.Gemm;
import elattn.tasks.Linear;
import elattn.tasks.attention.ElAttention;
import java.util.function.Function;

/**
 * The kernels that read weight matrices, for one storage precision, chosen once from the weights'
 * {@link Precision}: the graph builders are written once, generic in the array class {@code A}, and
 * take their weight-reading kernels from here (the kernel language expresses precision as the array
 * type, so each precision has its own kernel methods, but no builder is copied per precision).
 * Every kernel computes and accumulates in fp32 whatever the storage.
 *
 * @param <A>          the weights' array class
 * @param linear       {@code y = x Wᵀ + b}: {@link Linear#forward} / {@link Linear#forwardHalf}
 * @param linearTiled  its register-blocked work-group form for big products:
 *                     {@link Linear#forwardTiled} / {@link Linear#forwardTiledHalf}
 * @param linearGroup  its per-output work-group form for decode steps over few rows:
 *                     {@link Linear#forwardGroup} / {@link Linear#forwardGroupHalf}
 * @param weightsBlocked the 64 x 64 register-blocked, batched product with a weight matrix that
 *                     serves mid-size linears and EL's two projections: {@link Gemm#weightsBlocked} /
 *                     {@link Gemm#weightsBlockedHalf}
 * @param embed        token + position lookup: {@link Embeddings#lookup} / {@link Embeddings#lookupHalf}
 * @param expandQuery  EL's {@code q W^K}: {@link ElAttention#expandQuery} / {@link ElAttention#expandQueryHalf}
 * @param projectHeads EL's per-head {@code W^V}: {@link ElAttention#projectHeads} /
 *                     {@link ElAttention#projectHeadsHalf}
 * @param projectHeadsGroup its per-output work-group form for decode steps over few rows:
 *                     {@link ElAttention#projectHeadsGroup} / {@link ElAttention#projectHeadsGroupHalf}
 * @param tensorCoreLinear {@code y = x Wᵀ + b} on tensor cores ({@link Gemm#hgemmTensorCore}: x rounded to
 *                     fp16, fp32 sums), for fp16 weights only; null for fp32 weights
 * @param weightsTensorCore {@code weightsBlocked} on tensor cores ({@link Gemm#weightsTensorCore}), for
 *                     EL's per-head products with fp16 weights; null for fp32 weights
 * @param widen        a weight vector (bias, layer-norm gain/shift) as fp32, the form every vector
 *                     takes on the device: the array itself for fp32, an exact widened copy for fp16
 */
record PrecisionKernels<A extends NativeArray>(
        Task7<FloatArray, A, FloatArray, FloatArray, Integer, Integer, Integer> linear,
        Task8<KernelContext, FloatArray, A, FloatArray, FloatArray, Integer, Integer, Integer> linearTiled,
        Task8<KernelContext, FloatArray, A, FloatArray, FloatArray, Integer, Integer, Integer> linearGroup,
        Task14<KernelContext, FloatArray, Integer, A, Integer, Integer, FloatArray, Integer, FloatArray, Integer,
                Integer, Integer, Integer, Integer> weightsBlocked,
        Task8<IntArray, IntArray, A, A, FloatArray, Integer, Integer, Float> embed,
        Task7<FloatArray, A, FloatArray, Integer, Integer, Integer, Integer> expandQuery,
        Task8<FloatArray, A, FloatArray, FloatArray, Integer, Integer, Integer, Integer> projectHeads,
        Task9<KernelContext, FloatArray, A, FloatArray, FloatArray, Integer, Integer, Integer, Integer>
                projectHeadsGroup,
        Task9<KernelContext, FloatArray, A, FloatArray, Integer, FloatArray, Integer, Integer, Integer>
                tensorCoreLinear,
        Task14<KernelContext, FloatArray, Integer, A, Integer, Integer, FloatArray, Integer, FloatArray, Integer,
                Integer, Integer, Integer, Integer> weightsTensorCore,
        Function<A, FloatArray> widen) {

    static final PrecisionKernels<FloatArray> FP32 = new PrecisionKernels<>(Linear::forward, Linear::forwardTiled,
            Linear::forwardGroup, Gemm::weightsBlocked, Embeddings::lookup,
            ElAttention::expandQuery, ElAttention::projectHeads, ElAttention::projectHeadsGroup, null, null, a -> a);
    static final PrecisionKernels<HalfFloatArray> FP16 = new PrecisionKernels<>(Linear::forwardHalf,
            Linear::forwardTiledHalf, Linear::forwardGroupHalf, Gemm::weightsBlockedHalf,
            Embeddings::lookupHalf, ElAttention::expandQueryHalf, ElAttention::projectHeadsHalf,
            ElAttention::projectHeadsGroupHalf, Gemm::hgemmTensorCore, Gemm::weightsTensorCore,
            h -> FloatArray.fromArray(h.toHeapArray()));

    /** The kernels for weights stored in {@code precision}. */
    @SuppressWarnings("unchecked") // the two Precision constants fix A: FP32 is FloatArray, FP16 HalfFloatArray
    static <A extends NativeArray> PrecisionKernels<A> of(Precision<A> precision) {
        if (precision == Precision.FP32) {
            return (PrecisionKernels<A>) FP32;
        }
        if (precision == Precision.FP16) {
            return (PrecisionKernels<A>) FP16;
        }
        throw new IllegalArgumentException("no device kernels for weights in " + precision);
    }
}
