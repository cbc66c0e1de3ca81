package elattn.bench;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.runtime.DataTransferMode;
import elattn.runtime.Devices;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid1D;
import elattn.runtime.WorkerGrid2D;
import elattn.tasks.Gemm;
import elattn.tasks.Softmax;
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

    @Benchmark
    public Object sgemm(SgemmState s) {
        return s.plan.execute();
    }

    @Benchmark
    public Object softmax(SoftmaxState s) {
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
