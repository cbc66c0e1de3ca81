package elattn.cli;

import elattn.kernel.FloatArray;
import elattn.kernel.KernelContext;
import elattn.runtime.DataTransferMode;
import elattn.runtime.Device;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.ExecutionResult;
import elattn.runtime.TaskGraph;
import elattn.runtime.WorkerGrid1D;
import elattn.runtime.WorkerGrid2D;
import elattn.tasks.Gemm;
import elattn.tasks.Softmax;
import java.io.PrintWriter;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code elattn check}: proves a device works end to end — its kernels build, run, and agree with
 * plain Java — so a driver problem shows up here with a clear message rather than mid-generation.
 * It runs the work-group forms of SGEMM and softmax (barriers, local memory) on GPUs and the loop
 * forms on the JVM.
 */
@Command(name = "check", description = "Run a few kernels on a device and compare them with plain Java.")
final class CheckCommand implements Callable<Integer> {
    private static final int N = 128;
    private static final float TOLERANCE = 1e-4f;

    @Mixin
    DeviceOptions deviceOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Device device = deviceOptions.select();
        boolean groups = device.isGpu();
        out.printf("checking %s (%s)%n", device.id(), device.name());
        boolean ok = report(out, "sgemm " + N + "^3", sgemm(device, groups));
        ok &= report(out, "softmax " + N + "x" + N, softmax(device, groups));
        out.println(ok ? "ok: " + device.id() + " works" : "FAILED: " + device.id() + " computes wrong results");
        out.flush();
        return ok ? 0 : 1;
    }

    private record Outcome(float maxError, long kernelNanos) {
    }

    private static boolean report(PrintWriter out, String what, Outcome o) {
        boolean ok = o.maxError() <= TOLERANCE;
        out.printf("  %-16s max error %.2e, kernel %.3f ms  %s%n", what, o.maxError(), o.kernelNanos() / 1e6,
                ok ? "ok" : "WRONG");
        return ok;
    }

    private static Outcome sgemm(Device device, boolean groups) {
        FloatArray a = random(N * N, 1);
        FloatArray b = random(N * N, 2);
        FloatArray c = new FloatArray(N * N);
        TaskGraph graph = new TaskGraph("check").transferToDevice(DataTransferMode.FIRST_EXECUTION, a, b);
        if (groups) {
            graph.task("sgemm", Gemm::sgemmTiled, new KernelContext(), a, b, c, N, N, N);
        } else {
            graph.task("sgemm", Gemm::sgemm, a, b, c, N, N, N);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, c);
        ExecutionResult result;
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device).withProfiler()) {
            if (groups) {
                plan.withGrid("check.sgemm", new WorkerGrid2D(N, N).setLocalWork(Gemm.TILE, Gemm.TILE, 1));
            }
            result = plan.execute();
        }
        float maxError = 0;
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < N; j++) {
                double sum = 0;
                for (int p = 0; p < N; p++) {
                    sum += (double) a.get(i * N + p) * b.get(p * N + j);
                }
                maxError = Math.max(maxError, (float) Math.abs(sum - c.get(i * N + j)) / Math.max(1f, (float) Math.abs(sum)));
            }
        }
        return new Outcome(maxError, result.getKernelNanos());
    }

    private static Outcome softmax(Device device, boolean groups) {
        FloatArray x = random(N * N, 3);
        float[] input = x.toHeapArray();
        TaskGraph graph = new TaskGraph("check").transferToDevice(DataTransferMode.FIRST_EXECUTION, x);
        if (groups) {
            graph.task("softmax", Softmax::rows, new KernelContext(), x, N);
        } else {
            graph.task("softmax", Softmax::rowsLoop, x, N, N);
        }
        graph.transferToHost(DataTransferMode.EVERY_EXECUTION, x);
        ExecutionResult result;
        try (ExecutionPlan plan = new ExecutionPlan(graph.snapshot()).withDevice(device).withProfiler()) {
            if (groups) {
                plan.withGrid("check.softmax", new WorkerGrid1D(N * Softmax.GROUP).setLocalWork(Softmax.GROUP, 1, 1));
            }
            result = plan.execute();
        }
        float maxError = 0;
        for (int r = 0; r < N; r++) {
            double max = Double.NEGATIVE_INFINITY;
            double sum = 0;
            for (int j = 0; j < N; j++) {
                max = Math.max(max, input[r * N + j]);
            }
            for (int j = 0; j < N; j++) {
                sum += Math.exp(input[r * N + j] - max);
            }
            for (int j = 0; j < N; j++) {
                double expected = Math.exp(input[r * N + j] - max) / sum;
                maxError = Math.max(maxError, (float) Math.abs(expected - x.get(r * N + j)));
            }
        }
        return new Outcome(maxError, result.getKernelNanos());
    }

    private static FloatArray random(int n, long seed) {
        Random random = new Random(seed);
        FloatArray a = new FloatArray(n);
        for (int i = 0; i < n; i++) {
            a.set(i, random.nextFloat() * 2 - 1);
        }
        return a;
    }
}
