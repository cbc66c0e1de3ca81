package elattn.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import elattn.model.device.DeviceModel;
import elattn.runtime.ExecutionListener;
import elattn.runtime.ExecutionResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The profile of one timed pass of a job over its inputs, batch after batch, seen from outside the
 * code that runs it: as the {@link ExecutionListener} of the pass ({@code ExecutionPlan.observe})
 * it receives every plan execute, and the job tells it when the pass starts ({@link #start}), when
 * the inputs are tokenized ({@link #encoded}) and when each batch is done ({@link #batchDone}).
 *
 * <p>Per batch it splits the time into: setup (from the batch's start to its first execute: padding,
 * building the model's plan and arrays for a new batch shape), prefill (every execute up to and
 * including the first decode step, {@link DeviceModel#STEP_GRAPH}: encoder or prompt, and the first
 * scored step) and decode steps (each later execute of the step graph, with the host's work since the
 * previous one: the search between steps); a batch's rest is reading and decoding its outputs.
 * Kernel builds are counted inside the executes that did them. A retried batch (out of device memory,
 * halved) adds its attempts together.
 *
 * <p>{@link #pastDeadline} tells the job when its time limit has passed; the job stops after that batch.
 */
public final class PassProfile implements ExecutionListener {
    /**
     * One batch of the pass.
     *
     * @param records             inputs of the batch
     * @param width               tokens of its longest input
     * @param seconds             from the end of the previous batch (or of tokenizing) to its outputs
     * @param setupSeconds        from its start to its first execute
     * @param firstExecuteSeconds wall time of its first execute (a new plan allocates and uploads there)
     * @param planBytes           most device bytes a plan held during the batch
     * @param prefill             the prefill phase
     * @param decode              the decode steps
     */
    public record BatchProfile(int records, int width, double seconds, double setupSeconds, double firstExecuteSeconds,
            long planBytes, Report.Phase prefill, Report.Phase decode) {
        /** Kernel builds of the batch, in seconds. */
        public double buildSeconds() {
            return prefill.buildSeconds() + decode.buildSeconds();
        }

        JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("records", records);
            o.addProperty("width", width);
            o.addProperty("seconds", seconds);
            o.addProperty("setup_ms", setupSeconds * 1e3);
            o.addProperty("build_ms", buildSeconds() * 1e3);
            o.addProperty("first_execute_ms", firstExecuteSeconds * 1e3);
            o.addProperty("plan_bytes", planBytes);
            o.add("prefill", prefill.summaryJson());
            o.add("decode", decode.summaryJson());
            return o;
        }
    }

    /** Prefill and decode sums over some executes, with their wall times. */
    private static final class Phases {
        final PhaseTotals prefill = new PhaseTotals();
        final PhaseTotals decode = new PhaseTotals();
        long prefillNanos;
        long decodeNanos;
        int decodeSteps;
    }

    /** The pass's time limit in nanoseconds; its deadline is set when it starts. */
    private final long limitNanos;
    private long deadlineNanos = Long.MAX_VALUE;
    private final List<BatchProfile> batches = new ArrayList<>();
    private final Phases pass = new Phases();
    private Phases batch = new Phases();
    private long passStart = -1;
    private long encodedAt = -1;
    private long batchStart;
    private long firstExecuteStart = -1;
    private long firstExecuteNanos;
    private long planBytes;
    /** Start of the current generation's prefill, or -1 outside one. */
    private long prefillStart = -1;
    /** End of the previous step execute while in the decode steps, or -1 before them. */
    private long lastStepEnd = -1;

    private PassProfile(long limitNanos) {
        this.limitNanos = limitNanos;
    }

    /** Whether the pass's launches are timed ({@link #timesKernels}); on unless {@link #withoutKernelTimes}. */
    private boolean kernelTimes = true;

    /**
     * Profiles the pass as it runs unobserved: no launch is timed (so CUDA graphs replay), and the
     * decode steps report wall and launches but no kernel times. Returns this profile.
     */
    public PassProfile withoutKernelTimes() {
        kernelTimes = false;
        return this;
    }

    @Override
    public boolean timesKernels() {
        return kernelTimes;
    }

    /** A profile whose pass runs to its end. */
    public static PassProfile unlimited() {
        return new PassProfile(Long.MAX_VALUE);
    }

    /** A profile whose pass stops after the batch during which {@code limit} passed, counted from its {@link #start}. */
    public static PassProfile limitedTo(Duration limit) {
        return new PassProfile(limit.toNanos());
    }

    /** The pass starts (before its inputs are tokenized); its time limit counts from now. */
    public void start() {
        passStart = System.nanoTime();
        deadlineNanos = limitNanos > Long.MAX_VALUE - passStart ? Long.MAX_VALUE : passStart + limitNanos;
    }

    /** The inputs are tokenized; the first batch starts. */
    public void encoded() {
        encodedAt = System.nanoTime();
        batchStart = encodedAt;
    }

    @Override
    public void executed(ExecutionResult r) {
        long end = System.nanoTime();
        long start = end - r.getWallNanos();
        if (firstExecuteStart < 0) {
            firstExecuteStart = start;
            firstExecuteNanos = r.getWallNanos();
        }
        planBytes = Math.max(planBytes, r.getAllocatedBytes());
        boolean step = r.getGraphNames().contains(DeviceModel.STEP_GRAPH);
        if (step && lastStepEnd >= 0) {
            for (Phases p : List.of(pass, batch)) {
                p.decode.add(r);
                p.decodeNanos += end - lastStepEnd;
                p.decodeSteps++;
            }
            lastStepEnd = end;
            return;
        }
        if (!step) {
            lastStepEnd = -1; // another generation starts (a batch retried in halves)
        }
        if (prefillStart < 0) {
            prefillStart = start;
        }
        pass.prefill.add(r);
        batch.prefill.add(r);
        if (step) {
            pass.prefillNanos += end - prefillStart;
            batch.prefillNanos += end - prefillStart;
            prefillStart = -1;
            lastStepEnd = end;
        }
    }

    /** A batch of {@code records} inputs, the longest {@code width} tokens, is done; the next one starts. */
    public void batchDone(int records, int width) {
        long now = System.nanoTime();
        long setup = firstExecuteStart < 0 ? 0 : firstExecuteStart - batchStart;
        batches.add(new BatchProfile(records, width, (now - batchStart) / 1e9, setup / 1e9, firstExecuteNanos / 1e9,
                planBytes, batch.prefill.toPhase(batch.prefill.executes, batch.prefillNanos),
                batch.decode.toPhase(batch.decodeSteps, batch.decodeNanos)));
        batch = new Phases();
        batchStart = now;
        firstExecuteStart = -1;
        firstExecuteNanos = 0;
        planBytes = 0;
        prefillStart = -1;
        lastStepEnd = -1;
    }

    /** Whether the time limit has passed. */
    public boolean pastDeadline() {
        return System.nanoTime() >= deadlineNanos;
    }

    /** The batches done, in order. */
    public List<BatchProfile> batches() {
        return List.copyOf(batches);
    }

    /** Time spent tokenizing the inputs before the first batch, in seconds. */
    public double encodeSeconds() {
        return passStart < 0 || encodedAt < 0 ? 0 : (encodedAt - passStart) / 1e9;
    }

    /** The prefill phases of every batch together. */
    public Report.Phase prefill() {
        return pass.prefill.toPhase(pass.prefill.executes, pass.prefillNanos);
    }

    /** The decode steps of every batch together. */
    public Report.Phase decode() {
        return pass.decode.toPhase(pass.decodeSteps, pass.decodeNanos);
    }

    /** Setup, first executes and kernel builds of every batch: what a new batch shape costs before it runs. */
    public JsonObject planJson() {
        JsonObject o = new JsonObject();
        o.addProperty("setup_s", batches.stream().mapToDouble(BatchProfile::setupSeconds).sum());
        o.addProperty("first_execute_s", batches.stream().mapToDouble(BatchProfile::firstExecuteSeconds).sum());
        o.addProperty("build_s", batches.stream().mapToDouble(BatchProfile::buildSeconds).sum());
        return o;
    }

    /** Every batch as JSON. */
    public JsonArray batchesJson() {
        JsonArray a = new JsonArray();
        batches.forEach(b -> a.add(b.toJson()));
        return a;
    }
}
