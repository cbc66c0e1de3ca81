package elattn.bench;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.kernel.IntArray;
import elattn.kernel.KernelContext;
import elattn.kernel.NativeArray;
import elattn.runtime.DataTransferMode;
import elattn.runtime.Devices;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid;
import elattn.runtime.WorkerGrid1D;
import elattn.runtime.WorkerGrid2D;
import elattn.runtime.WorkerGrid3D;
import elattn.tasks.Gemm;
import elattn.tasks.Linear;
import elattn.tasks.Softmax;
import elattn.tasks.attention.Attention;
import elattn.tasks.attention.ElAttention;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Kernel throughput per backend: SGEMM (1024 x 1024 x 1024, 2.1 GFLOP per call; {@code -p n=1024,4096}
 * adds 4096^3, 137 GFLOP, for GPUs only) in its loop, tiled and register-blocked forms, and a row softmax 4096 wide (1024 rows) in its loop and work-group forms. Inputs
 * stay on the device (FIRST_EXECUTION) and no result is copied back, so a call measures the
 * launch and the kernel up to the device's completion. GFLOP/s = 2 n^3 / time; docs/benchmarks.md has the table and the commands.
 *
 * <p>Decode-step products with weights: {@code linear} ({@code y = x W^T + b}, 2 rows in out FLOP
 * a call) in each of its forms, loop ({@code Linear.forward}), per-output work-group
 * ({@code group}: {@code Linear.forwardGroup}), 128 x 128 register blocks ({@code tiled}:
 * {@code Linear.forwardTiled}) and 64 x 64 register blocks ({@code blocked}: {@code Gemm.weightsBlocked}),
 * with fp32 or fp16 weights; and EL's {@code elProjection}s (expandQuery and projectHeads,
 * 2 rows d^2 FLOP a call each) in their forms. Defaults are one shape each, fp32 (rows 512,
 * 1024 x 1024; rows 512, 16 heads, d 1024); the sweep the model's form rule
 * ({@code KernelLaunches.productForm}) is tuned from:
 * <pre>
 *   java ... org.openjdk.jmh.Main -wi 2 -w 1 -i 3 -r 1 -f 1 'KernelBenchmark.linear' -p device=cuda:0 \
 *        -p rows=128,512,1024 -p shape=1024x1024,1024x4096,4096x1024 -p weights=fp32,fp16
 *   java ... org.openjdk.jmh.Main -wi 2 -w 1 -i 3 -r 1 -f 1 'KernelBenchmark.elProjection' -p device=cuda:0 \
 *        -p weights=fp32,fp16
 * </pre>
 * The work-group forms are for GPUs (the JVM backend runs a thread per work item).
 *
 * <p>The decode step's EL attention of one layer (scores, softmax and context, bart-large: 16 heads,
 * d 1024) in its previous ({@code tiled}: {@code Attention.scoresTiled} / {@code contextTiled}) and
 * its current work-group forms ({@code new}: blocked for cross-attention, row forms for
 * self-attention), or its loop forms ({@code -p form=loop}): {@link #elCross} over 1024 source keys per sentence of 4 beams
 * ({@code -p sentences=32,128}; 4 * rows * 16 * 1024 * 1024 FLOP per call, 8.6 GFLOP at 32 sentences),
 * {@link #elSelf} over 64 keys of each row's ancestry ({@code -p rows=128,512}; 4 * rows * 16 * 64 *
 * 1024 FLOP, 0.54 GFLOP at 128 rows). Work-group forms run a thread per work item on the JVM device:
 * they are for GPUs ({@code -p device=cuda:0}).
 *
 * <p>{@link #tensorCore}: {@code C = A B^T} on CUDA tensor cores (B fp16, fp32 accumulation;
 * {@code variant} fp32A: {@code Gemm.hgemmTensorCore}, A fp32; halfA: {@code Gemm.hgemmTensorCoreHalf},
 * A fp16) for n x n x n, n = 1024 and 4096 (2 n^3 FLOP a call: 2.1 and 137 GFLOP; GFLOP/s = 2 n^3 /
 * time), to compare with {@code sgemm}'s blocked form and cuBLAS. CUDA only (compute capability
 * 8.0+): its {@code device} defaults to {@code cuda:0}; on OpenCL the kernels refuse to build, and
 * the JVM runs them through mma16816's emulation, a thread per work item.
 *
 * <p>Choose devices with {@code -p device=jvm,opencl:0,cuda:0}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class KernelBenchmark {

    /** SGEMM of two n x n matrices. */
    @State(Scope.Benchmark)
    public static class SgemmState {
        @Param({"jvm"})
        public String device;
        /** n x n x n; 4096 only when asked ({@code -p n=4096}): on a CPU one call takes minutes. */
        @Param({"1024"})
        public int n;
        @Param({"loop", "tiled", "blocked"})
        public String form;

        ExecutionPlan plan;

        @Setup(Level.Trial)
        public void setUp() {
            FloatArray a = random(n * n, 1);
            FloatArray b = random(n * n, 2);
            FloatArray c = new FloatArray(n * n);
            TaskGraph graph = new TaskGraph("sgemm").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b, c);
            switch (form) {
                case "tiled" -> graph.task("mm", Gemm::sgemmTiled, new KernelContext(), a, b, c, n, n, n);
                case "blocked" -> graph.task("mm", Gemm::sgemmBlocked, new KernelContext(), a, b, c, n, n, n);
                case "loop" -> graph.task("mm", Gemm::sgemm, a, b, c, n, n, n);
                default -> throw new IllegalArgumentException("form must be loop, tiled or blocked, not " + form);
            }
            plan = new ExecutionPlan(graph.snapshot()).withDevice(Devices.byId(device));
            if (form.equals("tiled")) {
                int g = (n + Gemm.TILE - 1) / Gemm.TILE * Gemm.TILE;
                plan.withGrid("sgemm.mm", new WorkerGrid2D(g, g).setLocalWork(Gemm.TILE, Gemm.TILE, 1));
            } else if (form.equals("blocked")) {
                plan.withGrid("sgemm.mm", Gemm.blockedGrid(n, n));
            }
            plan.execute();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            plan.close();
        }
    }

    /**
     * {@code C = A B^T} of n x n matrices on tensor cores, B fp16, by one of the kernels ({@code variant},
     * not {@code form}, so that one run with sgemm's {@code -p form=blocked} measures both):
     * {@code fp32A} {@code Gemm.hgemmTensorCore} (A fp32), {@code halfA} {@code Gemm.hgemmTensorCoreHalf}
     * (A fp16).
     */
    @State(Scope.Benchmark)
    public static class TensorCoreState {
        @Param({"cuda:0"})
        public String device;
        @Param({"1024", "4096"})
        public int n;
        @Param({"fp32A", "halfA"})
        public String variant;

        ExecutionPlan plan;

        @Setup(Level.Trial)
        public void setUp() {
            FloatArray a = random(n * n, 1);
            HalfFloatArray b = HalfFloatArray.fromArray(random(n * n, 2).toHeapArray());
            FloatArray c = new FloatArray(n * n);
            TaskGraph graph = new TaskGraph("hgemm");
            switch (variant) {
                case "fp32A" -> graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b, c)
                        .task("mm", Gemm::hgemmTensorCore, new KernelContext(), a, b, c, 0, c, n, n, n);
                case "halfA" -> {
                    HalfFloatArray ha = HalfFloatArray.fromArray(a.toHeapArray());
                    graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, ha, b, c)
                            .task("mm", Gemm::hgemmTensorCoreHalf, new KernelContext(), ha, b, c, 0, c, n,
                                    n, n);
                }
                default -> throw new IllegalArgumentException("variant must be fp32A or halfA, not " + variant);
            }
            plan = plan(graph, "hgemm.mm", Gemm.tensorCoreGrid(n, n), device);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            plan.close();
        }
    }

    /** Softmax over the rows of a rows x 4096 matrix. */
    @State(Scope.Benchmark)
    public static class SoftmaxState {
        @Param({"jvm"})
        public String device;
        @Param({"1024"})
        public int rows;
        @Param({"4096"})
        public int cols;
        @Param({"loop", "group"})
        public String form;

        ExecutionPlan plan;

        @Setup(Level.Trial)
        public void setUp() {
            FloatArray x = random(rows * cols, 3);
            TaskGraph graph = new TaskGraph("softmax").transferToDevice(DataTransferMode.FIRST_EXECUTION, x);
            if (form.equals("group")) {
                graph.task("rows", Softmax::rows, new KernelContext(), x, cols);
            } else {
                graph.task("rows", Softmax::rowsLoop, x, rows, cols);
            }
            plan = new ExecutionPlan(graph.snapshot()).withDevice(Devices.byId(device));
            if (form.equals("group")) {
                plan.withGrid("softmax.rows", new WorkerGrid1D(rows * Softmax.GROUP).setLocalWork(Softmax.GROUP, 1, 1));
            }
            plan.execute();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            plan.close();
        }
    }

    /** {@code y = x W^T + b} over {@code rows} rows, W {@code out x in} in fp32 or fp16. */
    @State(Scope.Benchmark)
    public static class LinearState {
        @Param({"jvm"})
        public String device;
        @Param({"512"})
        public int rows;
        /** {@code in x out}. */
        @Param({"1024x1024"})
        public String shape;
        @Param({"loop", "group", "tiled", "blocked"})
        public String form;
        @Param({"fp32"})
        public String weights;
        /** Parts along {@code in} of the {@code blocked} form ({@link Gemm#sumSplits} adds them); other forms: 1 only. */
        @Param({"1"})
        public int splits;

        ExecutionPlan plan;

        @Setup(Level.Trial)
        public void setUp() {
            if (splits != 1 && !form.equals("blocked") && !form.equals("tensorCoreBlocked")) {
                throw new IllegalArgumentException("only the blocked forms split, not " + form);
            }
            String[] inOut = shape.split("x");
            int in = Integer.parseInt(inOut[0]);
            int out = Integer.parseInt(inOut[1]);
            FloatArray x = random(rows * in, 4);
            FloatArray b = random(out, 5);
            FloatArray y = new FloatArray(rows * out);
            boolean half = half(weights);
            FloatArray w = random(out * in, 6);
            HalfFloatArray wh = half ? HalfFloatArray.fromArray(w.toHeapArray()) : null;
            NativeArray weight = half ? wh : w;
            TaskGraph graph = new TaskGraph("linear").transferToDevice(DataTransferMode.FIRST_EXECUTION, x, weight, b,
                    y);
            WorkerGrid grid = null;
            switch (form) {
                case "loop" -> {
                    if (half) {
                        graph.task("fc", Linear::forwardHalf, x, wh, b, y, rows, in, out);
                    } else {
                        graph.task("fc", Linear::forward, x, w, b, y, rows, in, out);
                    }
                }
                case "group" -> {
                    if (half) {
                        graph.task("fc", Linear::forwardGroupHalf, new KernelContext(), x, wh, b, y, rows, in, out);
                    } else {
                        graph.task("fc", Linear::forwardGroup, new KernelContext(), x, w, b, y, rows, in, out);
                    }
                    grid = new WorkerGrid2D((long) out * Linear.GROUP, (rows + Linear.ROW_BLOCK - 1) / Linear.ROW_BLOCK)
                            .setLocalWork(Linear.GROUP, 1);
                }
                case "tiled" -> {
                    if (half) {
                        graph.task("fc", Linear::forwardTiledHalf, new KernelContext(), x, wh, b, y, rows, in, out);
                    } else {
                        graph.task("fc", Linear::forwardTiled, new KernelContext(), x, w, b, y, rows, in, out);
                    }
                    grid = Linear.tiledGrid(rows, out);
                }
                case "blocked" -> {
                    FloatArray parts = splits == 1 ? y : FloatArray.deviceResident(rows * out * splits);
                    if (half) {
                        graph.task("fc", Gemm::weightsBlockedHalf, new KernelContext(), x, in, wh, in, 1, b, 1, parts,
                                out, rows, out, in, splits);
                    } else {
                        graph.task("fc", Gemm::weightsBlocked, new KernelContext(), x, in, w, in, 1, b, 1, parts, out,
                                rows, out, in, splits);
                    }
                    if (splits > 1) {
                        graph.task("sum", Gemm::sumSplits, parts, y, splits, rows, out);
                    }
                    grid = Gemm.weightsGrid(rows, out, splits);
                }
                case "tensorCoreBlocked" -> {
                    if (!half) {
                        throw new IllegalArgumentException("tensor cores multiply fp16 weights: -p weights=fp16");
                    }
                    FloatArray parts = splits == 1 ? y : FloatArray.deviceResident(rows * out * splits);
                    graph.task("fc", Gemm::weightsTensorCore, new KernelContext(), x, in, wh, in, 1, b, 1, parts, out,
                            rows, out, in, splits);
                    if (splits > 1) {
                        graph.task("sum", Gemm::sumSplits, parts, y, splits, rows, out);
                    }
                    grid = Gemm.weightsTensorCoreGrid(rows, out, splits);
                }
                default -> throw new IllegalArgumentException(
                        "form must be loop, group, tiled, blocked or tensorCoreBlocked, not " + form);
            }
            plan = plan(graph, "linear.fc", grid, device);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            plan.close();
        }
    }

    /**
     * EL's per-head projections over {@code rows} rows, {@code heads} heads, width {@code d}. The
     * {@code group} form of expandQuery is its loop form, as in the model (it has no per-output
     * work-group form).
     */
    @State(Scope.Benchmark)
    public static class ElProjectionState {
        @Param({"jvm"})
        public String device;
        @Param({"512"})
        public int rows;
        @Param({"16"})
        public int heads;
        @Param({"1024"})
        public int d;
        @Param({"expand", "project"})
        public String projection;
        @Param({"loop", "group", "blocked"})
        public String form;
        @Param({"fp32"})
        public String weights;

        ExecutionPlan plan;

        @Setup(Level.Trial)
        public void setUp() {
            int dh = d / heads;
            boolean half = half(weights);
            FloatArray w = random(d * d, 7);
            HalfFloatArray wh = half ? HalfFloatArray.fromArray(w.toHeapArray()) : null;
            NativeArray weight = half ? wh : w;
            FloatArray q = random(rows * d, 8);
            FloatArray ctx = random(rows * heads * d, 9);
            FloatArray bv = random(d, 10);
            FloatArray expanded = new FloatArray(rows * heads * d);
            FloatArray out = new FloatArray(rows * d);
            TaskGraph graph = new TaskGraph("el").transferToDevice(DataTransferMode.FIRST_EXECUTION, weight, q, ctx, bv,
                    expanded, out);
            WorkerGrid grid = null;
            switch (projection + "-" + form) {
                case "expand-loop", "expand-group" -> {
                    if (half) {
                        graph.task("p", ElAttention::expandQueryHalf, q, wh, expanded, rows, heads, dh, d);
                    } else {
                        graph.task("p", ElAttention::expandQuery, q, w, expanded, rows, heads, dh, d);
                    }
                }
                case "expand-blocked" -> {
                    if (half) {
                        graph.task("p", Gemm::weightsBlockedHalf, new KernelContext(), q, d, wh, d, 0, q, 0, expanded,
                                heads * d, rows, d, dh, 1);
                    } else {
                        graph.task("p", Gemm::weightsBlocked, new KernelContext(), q, d, w, d, 0, q, 0, expanded,
                                heads * d, rows, d, dh, 1);
                    }
                    grid = Gemm.weightsGrid(rows, d, heads);
                }
                case "project-loop" -> {
                    if (half) {
                        graph.task("p", ElAttention::projectHeadsHalf, ctx, wh, bv, out, rows, heads, dh, d);
                    } else {
                        graph.task("p", ElAttention::projectHeads, ctx, w, bv, out, rows, heads, dh, d);
                    }
                }
                case "project-group" -> {
                    if (half) {
                        graph.task("p", ElAttention::projectHeadsGroupHalf, new KernelContext(), ctx, wh, bv, out,
                                rows, heads, dh, d);
                    } else {
                        graph.task("p", ElAttention::projectHeadsGroup, new KernelContext(), ctx, w, bv, out, rows,
                                heads, dh, d);
                    }
                    grid = new WorkerGrid2D((long) d * ElAttention.GROUP,
                            (rows + ElAttention.ROW_BLOCK - 1) / ElAttention.ROW_BLOCK).setLocalWork(ElAttention.GROUP, 1);
                }
                case "project-blocked" -> {
                    if (half) {
                        graph.task("p", Gemm::weightsBlockedHalf, new KernelContext(), ctx, heads * d, wh, d, 1, bv, 1,
                                out, d, rows, dh, d, 1);
                    } else {
                        graph.task("p", Gemm::weightsBlocked, new KernelContext(), ctx, heads * d, w, d, 1, bv, 1, out,
                                d, rows, dh, d, 1);
                    }
                    grid = Gemm.weightsGrid(rows, dh, heads);
                }
                default -> throw new IllegalArgumentException("projection must be expand or project and form loop,"
                        + " group or blocked, not " + projection + " " + form);
            }
            plan = plan(graph, "el.p", grid, device);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            plan.close();
        }
    }

    @Benchmark
    public Object linear(LinearState s) {
        return s.plan.execute();
    }

    @Benchmark
    public Object elProjection(ElProjectionState s) {
        return s.plan.execute();
    }

    /** EL cross-attention of a decode step: each sentence's 4 beams x 16 heads over its 1024 encoder states. */
    @State(Scope.Benchmark)
    public static class ElCrossState {
        @Param({"jvm"})
        public String device;
        @Param({"32"})
        public int sentences;
        /** tiled (the previous work-group forms), new (those AttentionLayer picks now) or loop (CPU runs). */
        @Param({"tiled", "new"})
        public String form;

        ExecutionPlan plan;

        @Setup(Level.Trial)
        public void setUp() {
            int keys = 1024;
            int rows = sentences * BEAMS;
            IntArray keyTable = new IntArray(sentences * keys);
            int[] rowMap = new int[rows];
            for (int i = 0; i < sentences * keys; i++) {
                keyTable.set(i, i);
            }
            for (int r = 0; r < rows; r++) {
                rowMap[r] = r / BEAMS;
            }
            plan = attentionPlan(device, form, true, rows, random(sentences * keys * D, 4), keyTable,
                    IntArray.fromArray(rowMap), keys, keys);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            plan.close();
        }
    }

    /**
     * EL self-attention of a decode step at step 64: each row's 16 heads over the 64 states of its
     * ancestry, of which a sentence's 4 beams share the first 48.
     */
    @State(Scope.Benchmark)
    public static class ElSelfState {
        @Param({"jvm"})
        public String device;
        @Param({"128"})
        public int rows;
        /** tiled (the previous work-group forms), new (those AttentionLayer picks now) or loop (CPU runs). */
        @Param({"tiled", "new"})
        public String form;

        ExecutionPlan plan;

        @Setup(Level.Trial)
        public void setUp() {
            int steps = 64;
            int shared = 48;
            int maxSteps = 128;
            IntArray keyTable = new IntArray(rows * maxSteps);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < steps; j++) {
                    keyTable.set(r * maxSteps + j, j * rows + (j < shared ? r - r % BEAMS : r));
                }
            }
            int[] identity = new int[rows];
            Arrays.setAll(identity, r -> r);
            plan = attentionPlan(device, form, false, rows, random(steps * rows * D, 5), keyTable,
                    IntArray.fromArray(identity), maxSteps, steps);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            plan.close();
        }
    }

    private static final int HEADS = 16;
    private static final int D = 1024;
    private static final int BEAMS = 4;

    /**
     * Scores, softmax and context of EL attention ({@code headStride} 0) of {@code rows} rows over
     * {@code states} in form {@code loop}, {@code tiled} or {@code new} (blocked where rows share
     * tables, else the row forms), with the grids {@code AttentionLayer} gives them; executed once.
     */
    static ExecutionPlan attentionPlan(String device, String form, boolean sharedByRows, int rows, FloatArray states,
            IntArray keyTable, IntArray rowMap, int keyStride, int keyCount) {
        FloatArray queries = random(rows * HEADS * D, 6);
        FloatArray scores = new FloatArray(rows * HEADS * keyStride);
        FloatArray out = new FloatArray(rows * HEADS * D);
        float scale = 0.125f;
        TaskGraph graph = new TaskGraph("attention")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, queries, states, keyTable, rowMap);
        if (form.equals("loop")) {
            graph.task("scores", Attention::scores, queries, states, keyTable, rowMap, scores, rows, HEADS, D, 0, D,
                    keyStride, keyCount, scale)
                    .task("context", Attention::context, scores, states, keyTable, rowMap, out, rows, HEADS, D, 0, D,
                            keyStride, keyCount);
            ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(Devices.byId(device));
            plan.execute();
            return plan;
        }
        long e = Attention.GROUP_EDGE;
        long[] scoresGrid;
        long[] contextGrid;
        long[] local;
        if (form.equals("tiled")) {
            graph.task("scores", Attention::scoresTiled, new KernelContext(), queries, states, keyTable, rowMap, scores,
                    rows, HEADS, D, 0, D, keyStride, keyCount, scale);
            scoresGrid = new long[] {tiles(keyCount) * e, tiles(rows * HEADS) * e, 1};
            contextGrid = new long[] {tiles(D) * e, tiles(rows * HEADS) * e, 1};
            local = new long[] {e, e, 1};
        } else if (!form.equals("new")) {
            throw new IllegalArgumentException("form must be loop, tiled or new, not " + form);
        } else if (sharedByRows) {
            graph.task("scores", Attention::scoresBlocked, new KernelContext(), queries, states, keyTable, rowMap,
                    scores, rows, HEADS, D, 0, D, keyStride, keyCount, scale);
            scoresGrid = Attention.blockedGrid(rows, HEADS, 0, keyCount);
            contextGrid = Attention.blockedGrid(rows, HEADS, 0, D);
            local = new long[] {Attention.BLOCK_GROUP, 1, 1};
        } else {
            graph.task("scores", Attention::scoresRows, new KernelContext(), queries, states, keyTable, rowMap, scores,
                    rows, HEADS, D, D, keyStride, keyCount, scale);
            long[] s = Attention.rowGrid(rows, HEADS, keyCount, Attention.ROW_KEYS);
            long[] c = Attention.rowGrid(rows, HEADS, D, Attention.ROW_COLUMNS);
            scoresGrid = new long[] {s[0], s[1], 1};
            contextGrid = new long[] {c[0], c[1], 1};
            local = new long[] {Attention.ROW_GROUP, 1, 1};
        }
        graph.task("softmax", Attention::softmaxGroup, new KernelContext(), scores, rows, HEADS, keyStride, keyCount);
        if (form.equals("tiled")) {
            graph.task("context", Attention::contextTiled, new KernelContext(), scores, states, keyTable, rowMap, out,
                    rows, HEADS, D, 0, D, keyStride, keyCount);
        } else if (sharedByRows) {
            graph.task("context", Attention::contextBlocked, new KernelContext(), scores, states, keyTable, rowMap,
                    out, rows, HEADS, D, 0, D, keyStride, keyCount);
        } else {
            graph.task("context", Attention::contextRows, new KernelContext(), scores, states, keyTable, rowMap, out,
                    rows, HEADS, D, D, keyStride, keyCount);
        }
        ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(Devices.byId(device));
        plan.withGrid("attention.scores", new WorkerGrid3D(scoresGrid[0], scoresGrid[1], scoresGrid[2])
                .setLocalWork(local));
        plan.withGrid("attention.softmax", new WorkerGrid1D((long) rows * HEADS * Attention.SOFTMAX_GROUP)
                .setLocalWork(Attention.SOFTMAX_GROUP));
        plan.withGrid("attention.context", new WorkerGrid3D(contextGrid[0], contextGrid[1], contextGrid[2])
                .setLocalWork(local));
        plan.execute();
        return plan;
    }

    private static long tiles(int n) {
        return (n + Attention.TILE - 1) / Attention.TILE;
    }

    @Benchmark
    public Object sgemm(SgemmState s) {
        return s.plan.execute();
    }

    @Benchmark
    public Object tensorCore(TensorCoreState s) {
        return s.plan.execute();
    }

    @Benchmark
    public Object softmax(SoftmaxState s) {
        return s.plan.execute();
    }

    /** Whether {@code weights} names fp16 storage ({@code fp16}) rather than {@code fp32}. */
    static boolean half(String weights) {
        return switch (weights) {
            case "fp16" -> true;
            case "fp32" -> false;
            default -> throw new IllegalArgumentException("weights must be fp32 or fp16, not " + weights);
        };
    }

    /** The plan of {@code graph} on {@code device}, {@code task} launched on {@code grid} (null: a loop form), run once. */
    static ExecutionPlan plan(TaskGraph graph, String task, WorkerGrid grid, String device) {
        ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(Devices.byId(device));
        if (grid != null) {
            plan.withGrid(task, grid);
        }
        plan.execute();
        return plan;
    }

    @Benchmark
    public Object elCross(ElCrossState s) {
        return s.plan.execute();
    }

    @Benchmark
    public Object elSelf(ElSelfState s) {
        return s.plan.execute();
    }

    static FloatArray random(int length, long seed) {
        Random random = new Random(seed);
        FloatArray a = new FloatArray(length);
        for (int i = 0; i < length; i++) {
            a.set(i, random.nextFloat() * 2 - 1);
        }
        return a;
    }
}
