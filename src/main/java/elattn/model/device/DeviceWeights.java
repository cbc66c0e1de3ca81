package elattn.model.device;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.kernel.NativeArray;
import elattn.model.ModelWeights;
import elattn.runtime.TaskGraph;
import elattn.tasks.Gemm;
import elattn.tasks.Linear;
import elattn.tasks.attention.ElAttention;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A model's weights as the device graphs use them: weight matrices (linear weights, token and
 * position tables, LM head) in the storage precision of the {@link ModelWeights}, and weight vectors
 * (biases, layer-norm parameters, {@code final_logits_bias}) in fp32, widened once (exactly) and
 * kept for this object's life so that every plan uploads the same arrays. The graph builders add
 * weight-reading tasks through it, which picks the kernels of the precision
 * ({@link PrecisionKernels}). A graph builder works on a per-plan view ({@link #on}) that also
 * knows the plan's {@link KernelLaunches}: which forms to add, and where their grids go.
 *
 * @param <A> the storage array class of the matrices
 */
final class DeviceWeights<A extends NativeArray> {

    private final ModelWeights<A> weights;
    private final PrecisionKernels<A> kernels;
    private final Map<A, FloatArray> vectors;
    /** The plan's forms and grids (null until a view is taken with {@link #on}). */
    private final KernelLaunches launches;
    /** Whether the plan uses work-group forms. */
    private final boolean group;
    /** The most rows the graph's linears run over (sizes the choice between tiled and per-output forms). */
    private final int maxRows;

    DeviceWeights(ModelWeights<A> weights) {
        this(Objects.requireNonNull(weights, "weights"), PrecisionKernels.of(weights.precision()),
                new IdentityHashMap<>(), null, 0);
    }

    private DeviceWeights(ModelWeights<A> weights, PrecisionKernels<A> kernels, Map<A, FloatArray> vectors,
            KernelLaunches launches, int maxRows) {
        this.weights = weights;
        this.kernels = kernels;
        this.vectors = vectors;
        this.launches = launches;
        this.group = launches != null && launches.group();
        this.maxRows = maxRows;
    }

    /**
     * The same weights (and fp32 vectors) for building one plan's graph: work-group tasks follow
     * {@code launches}, and the linears of a graph of at most {@code maxRows} rows take, in the
     * work-group forms, the form {@link KernelLaunches#productForm} picks from their size:
     * {@link Linear#forwardTiled} where the product has enough 128 x 128 blocks to fill a GPU (the
     * encoder, the LM head), {@link Gemm#weightsBlocked} where it has enough 64 x 64 blocks (a decode
     * step over hundreds of rows; also EL's per-head projections), else the per-output forms
     * ({@link Linear#forwardGroup}, {@link ElAttention#projectHeadsGroup}) for a few rows.
     */
    DeviceWeights<A> on(KernelLaunches launches, int maxRows) {
        return new DeviceWeights<>(weights, kernels, vectors, Objects.requireNonNull(launches, "launches"), maxRows);
    }

    /** The plan's forms and grids of this view. */
    KernelLaunches launches() {
        if (launches == null) {
            throw new IllegalStateException("graph builders need a per-plan view: call on(launches, maxRows) first");
        }
        return launches;
    }

    ModelWeights<A> weights() {
        return weights;
    }

    /** A weight vector in fp32 (the same array on every call). */
    FloatArray vector(A v) {
        return vectors.computeIfAbsent(v, kernels.widen());
    }

    /**
     * A product's result as it lies on the device: {@code values} itself ({@code splits} 1), or
     * {@code splits} parts of each element to be added in order ({@link Gemm#sumSplits}'s layout), for
     * a kernel after it that reads the parts directly (the residual layer norms).
     */
    record Product(FloatArray values, int splits) {
    }

    /** {@code y = x Wᵀ + b} over {@code rows} (an {@code Integer} or {@code IntParam}) rows. */
    void linear(TaskGraph g, String name, FloatArray x, ModelWeights.Linear<A> w, FloatArray y, Object rows) {
        linear(g, name, x, w.weight(), w.bias(), y, rows, w.inFeatures(), w.outFeatures(), true);
    }

    /**
     * {@code y = x Wᵀ + b} over {@code rows} rows, left in parts where the product was split along
     * its depth ({@link Product}; else in {@code y}): the sum is the next kernel's to do.
     */
    Product linearInParts(TaskGraph g, String name, FloatArray x, ModelWeights.Linear<A> w, FloatArray y, Object rows) {
        return linear(g, name, x, w.weight(), w.bias(), y, rows, w.inFeatures(), w.outFeatures(), false);
    }

    /** {@code y = x Wᵀ + b} with W (out, in), in the form {@link KernelLaunches#linearForm} picks. */
    void linear(TaskGraph g, String name, FloatArray x, A weight, A bias, FloatArray y, Object rows, int in, int out) {
        linear(g, name, x, weight, bias, y, rows, in, out, true);
    }

    private Product linear(TaskGraph g, String name, FloatArray x, A weight, A bias, FloatArray y, Object rows, int in,
            int out, boolean sum) {
        KernelLaunches.ProductForm form = group ? launches().linearForm(maxRows, in, out) : KernelLaunches.ProductForm.LOOP;
        Product result = new Product(y, 1);
        switch (form) {
            case TILED -> {
                g.task(name, kernels.linearTiled(), new KernelContext(), x, weight, vector(bias), y, rows, in, out);
                launches().add(g, name,
                        () -> Linear.tiledGrid(Math.max(1, KernelLaunches.value(rows)), out).getGlobalWork(),
                        Linear.tiledGrid(1, 1).getLocalWork());
            }
            case BLOCKED, TENSOR_CORE_BLOCKED -> result = weightsProduct(g, name, form, x, in, weight, in, true,
                    vector(bias), y, out, rows, out, in, 1, sum);
            case TENSOR_CORE -> {
                if (kernels.tensorCoreLinear() == null) {
                    throw new IllegalStateException("tensor cores multiply fp16 weights; these are "
                            + weights.precision());
                }
                g.task(name, kernels.tensorCoreLinear(), new KernelContext(), x, weight, vector(bias), 1, y, rows, out,
                        in);
                launches().add(g, name,
                        () -> Gemm.tensorCoreGrid(Math.max(1, KernelLaunches.value(rows)), out).getGlobalWork(),
                        Gemm.tensorCoreGrid(1, 1).getLocalWork());
            }
            case PER_OUTPUT -> {
                g.task(name, kernels.linearGroup(), new KernelContext(), x, weight, vector(bias), y, rows, in, out);
                launches().add(g, name, () -> new long[] {(long) out * Linear.GROUP,
                    KernelLaunches.blocks(KernelLaunches.value(rows), Linear.ROW_BLOCK)}, Linear.GROUP, 1);
            }
            case LOOP -> g.task(name, kernels.linear(), x, weight, vector(bias), y, rows, in, out);
        }
        return result;
    }

    /** Token and position embeddings of a stack. */
    void embed(TaskGraph g, String name, Object tokens, Object positions, ModelWeights.Stack<A> stack, FloatArray out,
            Object rows, int d, float scale) {
        g.task(name, kernels.embed(), tokens, positions, stack.tokenEmbedding(), stack.positions(), out, rows, d,
                scale);
    }

    /**
     * EL's expanded queries {@code q W^K} per head: {@link Gemm#weightsBlocked} or
     * {@link Gemm#weightsTensorCore} (per head, rows x dh times dh x d), or the loop form where
     * {@link KernelLaunches#productForm} picks a per-output form (there is no other).
     */
    void expandQuery(TaskGraph g, String name, FloatArray q, A wk, FloatArray qt, Object rows, int heads, int headDim,
            int d) {
        KernelLaunches.ProductForm form = productForm(d, heads, headDim, false);
        if (form == KernelLaunches.ProductForm.BLOCKED || form == KernelLaunches.ProductForm.TENSOR_CORE_BLOCKED) {
            weightsProduct(g, name, form, q, d, wk, d, false, null, qt, heads * d, rows, d, headDim, heads, true);
        } else {
            g.task(name, kernels.expandQuery(), q, wk, qt, rows, heads, headDim, d);
        }
    }

    /**
     * EL's per-head value projection with {@code W^V} and {@code b^V}: {@link Gemm#weightsBlocked} or
     * {@link Gemm#weightsTensorCore} (per head, rows x d times d x dh), {@link ElAttention#projectHeadsGroup}
     * or the loop form, as {@link KernelLaunches#productForm} picks.
     */
    void projectHeads(TaskGraph g, String name, FloatArray context, ModelWeights.Linear<A> v, FloatArray out,
            Object rows, int heads, int headDim, int d) {
        KernelLaunches.ProductForm form = productForm(headDim, heads, d, false);
        switch (form) {
            case BLOCKED, TENSOR_CORE_BLOCKED -> weightsProduct(g, name, form, context, heads * d, v.weight(), d, true,
                    vector(v.bias()), out, d, rows, headDim, d, heads, true);
            case PER_OUTPUT -> {
                g.task(name, kernels.projectHeadsGroup(), new KernelContext(), context, v.weight(), vector(v.bias()),
                        out, rows, heads, headDim, d);
                launches().add(g, name, () -> new long[] {(long) d * ElAttention.GROUP,
                    KernelLaunches.blocks(KernelLaunches.value(rows), ElAttention.ROW_BLOCK)}, ElAttention.GROUP, 1);
            }
            default -> g.task(name, kernels.projectHeads(), context, v.weight(), vector(v.bias()), out, rows, heads,
                    headDim, d);
        }
    }

    /** The form of this graph's {@code batch} products of up to {@code maxRows x cols} outputs (LOOP without a view). */
    private KernelLaunches.ProductForm productForm(int cols, int batch, int depth, boolean tiledForm) {
        return group ? launches().productForm(maxRows, cols, batch, depth, tiledForm) : KernelLaunches.ProductForm.LOOP;
    }

    /**
     * Adds the precision's {@link Gemm#weightsBlocked}, or with {@code form} TENSOR_CORE_BLOCKED
     * {@link Gemm#weightsTensorCore} (where it takes the strides; else the blocked kernel), over
     * {@code rows} live rows with its grid; the arguments are the kernels' (see there), {@code bias}
     * null for none, {@code batch} the number of products. A blocked product that
     * {@link KernelLaunches#splits} splits along k writes its parts to the plan's scratch and, with
     * {@code sum}, a second task ({@link Gemm#sumSplits}) adds them into {@code c}; without, the
     * parts are the result.
     */
    private Product weightsProduct(TaskGraph g, String name, KernelLaunches.ProductForm form, FloatArray a, int lda,
            A w, int ldw, boolean byOutput, FloatArray bias, FloatArray c, int ldc, Object rows, int n, int k, int batch,
            boolean sum) {
        boolean tensorCore = form == KernelLaunches.ProductForm.TENSOR_CORE_BLOCKED
                && Gemm.weightsTensorCoreAligned(lda, ldw, k);
        if (tensorCore && kernels.weightsTensorCore() == null) {
            throw new IllegalStateException("tensor cores multiply fp16 weights; these are " + weights.precision());
        }
        // Without a bias, a stands in for the array the kernel does not read.
        FloatArray biasOrA = bias == null ? a : bias;
        int biased = bias == null ? 0 : 1;
        int splits = launches().splits(maxRows, n, batch, k);
        FloatArray out = splits == 1 ? c : launches().splitParts(maxRows * ldc * splits);
        g.task(name, tensorCore ? kernels.weightsTensorCore() : kernels.weightsBlocked(), new KernelContext(), a, lda,
                w, ldw, byOutput ? 1 : 0, biasOrA, biased, out, ldc, rows, n, k, splits);
        launches().add(g, name, () -> {
            int live = Math.max(1, KernelLaunches.value(rows));
            return (tensorCore ? Gemm.weightsTensorCoreGrid(live, n, batch * splits)
                    : Gemm.weightsGrid(live, n, batch * splits)).getGlobalWork();
        }, (tensorCore ? Gemm.weightsTensorCoreGrid(1, 1, 1) : Gemm.weightsGrid(1, 1, 1)).getLocalWork());
        if (splits > 1 && sum) {
            g.task(name + "Sum", Gemm::sumSplits, out, c, splits, rows, ldc);
            return new Product(c, 1);
        }
        return new Product(out, splits);
    }

    /**
     * Bytes of every weight as the device holds it: matrices in the storage precision, vectors in
     * fp32, tied arrays once. (An attention mode may leave a few vectors unread, e.g. EL never reads
     * a decoder self-attention key bias; they are counted.)
     */
    long bytes() {
        long total = 0;
        for (NativeArray a : arrays()) {
            total += a.getNumBytes();
        }
        return total;
    }

    /**
     * Every weight array as the device holds it: the matrices in the storage precision, the
     * vectors in fp32 (the arrays {@link #vector} gives the graphs), tied arrays once.
     */
    Set<NativeArray> arrays() {
        Set<NativeArray> matrices = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<A> vectorSet = Collections.newSetFromMap(new IdentityHashMap<>());
        matrices.add(weights.lmHead());
        vectorSet.add(weights.finalLogitsBias());
        for (ModelWeights.Stack<A> s : Stream.of(weights.encoder(), weights.decoder()).filter(Objects::nonNull)
                .toList()) {
            matrices.add(s.tokenEmbedding());
            matrices.add(s.positions());
            addNorm(vectorSet, s.embeddingNorm());
            addNorm(vectorSet, s.finalNorm());
            for (ModelWeights.Layer<A> layer : s.layers()) {
                List<ModelWeights.Linear<A>> linears = new ArrayList<>(List.of(layer.fc1(), layer.fc2()));
                for (ModelWeights.Attention<A> a : Stream.of(layer.selfAttention(), layer.crossAttention())
                        .filter(Objects::nonNull).toList()) {
                    linears.addAll(List.of(a.q(), a.k(), a.v(), a.out()));
                }
                for (ModelWeights.Linear<A> lin : linears) {
                    matrices.add(lin.weight());
                    vectorSet.add(lin.bias());
                }
                addNorm(vectorSet, layer.selfNorm());
                addNorm(vectorSet, layer.crossNorm());
                addNorm(vectorSet, layer.ffnNorm());
            }
        }
        vectorSet.remove(null);
        matrices.remove(null);
        for (A v : vectorSet) {
            matrices.add(vector(v));
        }
        return matrices;
    }

    private static <A extends NativeArray> void addNorm(Set<A> set, ModelWeights.LayerNorm<A> norm) {
        if (norm != null) {
            set.add(norm.weight());
            set.add(norm.bias());
        }
    }
}
