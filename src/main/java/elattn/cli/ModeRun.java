package elattn.cli;

import elattn.bench.PassProfile;
import elattn.model.device.AttentionMode;
import elattn.model.device.CacheBytes;
import elattn.runtime.Device;
import elattn.runtime.ExecutionPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The outputs of all records in one attention mode, with what eval and bench report about the run:
 * wall time of the timed pass and of the warm-up before it, the peak device memory of the model's
 * buffers, the attention state the last batch held, and the pass's profile.
 */
record ModeRun(AttentionMode mode, List<ModelSession.Output> outputs, long nanos, long warmUpNanos,
        long peakDeviceBytes, CacheBytes cacheBytes, long generatedTokens, PassProfile profile) {

    /** Stops a pass whose time limit has passed, after a batch. */
    private static final class TimeLimitReached extends RuntimeException {
        TimeLimitReached() {
            super(null, null, false, false);
        }
    }

    /** {@link #of(ModelSession, List, int, Progress, PassProfile)} without a time limit. */
    static ModeRun of(ModelSession session, List<InputRecord> records, int batchSize, Progress progress) {
        return of(session, records, batchSize, progress, PassProfile.unlimited());
    }

    /**
     * Generates {@code records} with {@code session} (whose mode it reports) as the commands do:
     * one untimed warm-up batch (the first one: kernels built, weights uploaded, the JVM's JIT warm),
     * then the timed pass: tokenizing every record, then the batches as the commands form them,
     * each reported to {@code profile}, which stops the pass at the first hand-over of outputs after
     * its time limit passed (the outputs then are those handed over: the records, in input order,
     * up to the first one not yet generated). {@code progress} may be null.
     */
    static ModeRun of(ModelSession session, List<InputRecord> records, int batchSize, Progress progress,
            PassProfile profile) {
        long warmUpStart = System.nanoTime();
        session.generate(records.subList(0, Math.min(batchSize, records.size())), batchSize, warmUp -> { });
        long warmUp = System.nanoTime() - warmUpStart;
        List<ModelSession.Output> outputs = new ArrayList<>(records.size());
        long start = System.nanoTime();
        profile.start();
        List<int[][]> encoded = session.encodeAll(records);
        profile.encoded();
        try {
            ExecutionPlan.observe(profile, () -> {
                session.generate(records, encoded, batchSize, handedOver -> {
                    outputs.addAll(handedOver);
                    if (progress != null) {
                        progress.advance(handedOver.size());
                    }
                    if (outputs.size() < records.size() && profile.pastDeadline()) {
                        throw new TimeLimitReached();
                    }
                }, profile::batchDone);
                return null;
            });
        } catch (TimeLimitReached e) {
            // the outputs of the batches done are the pass
        }
        long nanos = System.nanoTime() - start;
        if (progress != null) {
            progress.finish();
        }
        long tokens = outputs.stream().mapToLong(o -> o.outputIds()[0].length).sum();
        return new ModeRun(session.pipeline().mode(), outputs, nanos, warmUp, session.pipeline().peakDeviceBytes(),
                session.pipeline().cacheBytes(), tokens, profile);
    }

    /**
     * Opens {@code folder} once per mode and runs {@code records} through it; {@code prepare} checks
     * the opened session (throwing a {@link CliException} when it cannot serve) and returns the
     * progress display for the run, or null for none.
     */
    static List<ModeRun> inEachMode(List<AttentionMode> modes, Path folder, Device device, ModelOptions model,
            GenerationOptions generation, List<InputRecord> records, Function<ModelSession, Progress> prepare) {
        List<ModeRun> runs = new ArrayList<>();
        for (AttentionMode mode : modes) {
            try (ModelSession session = ModelSession.open(folder, device, mode, model, generation,
                    model.truncate)) {
                runs.add(of(session, records, model.batchSize(device), prepare.apply(session)));
            }
        }
        return runs;
    }

    double recordsPerSecond() {
        return outputs.size() / (nanos / 1e9);
    }

    double tokensPerSecond() {
        return generatedTokens / (nanos / 1e9);
    }

    /** Whether both runs generated exactly the same token ids for every record. */
    boolean sameOutputs(ModeRun other) {
        if (outputs.size() != other.outputs.size()) {
            return false;
        }
        for (int i = 0; i < outputs.size(); i++) {
            if (!java.util.Arrays.deepEquals(outputs.get(i).outputIds(), other.outputs.get(i).outputIds())) {
                return false;
            }
        }
        return true;
    }

    static String mib(long bytes) {
        return String.format("%.1f", bytes / (double) (1 << 20));
    }
}
