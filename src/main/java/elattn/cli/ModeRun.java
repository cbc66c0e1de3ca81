package elattn.cli;

import elattn.model.device.AttentionMode;
import elattn.model.device.CacheBytes;
import elattn.runtime.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The outputs of all records in one attention mode, with what eval and bench report about the run:
 * wall time of the generation calls, the peak device memory of the model's buffers and the
 * attention state the last batch held.
 */
record ModeRun(AttentionMode mode, List<ModelSession.Output> outputs, long nanos, long peakDeviceBytes,
        CacheBytes cacheBytes, long generatedTokens) {

    /**
     * Generates {@code records} with {@code session} (whose mode it reports), timing only the
     * generation calls after one untimed warm-up batch (the first one: kernels built, weights
     * uploaded, the JVM's JIT warm); {@code progress} may be null.
     */
    static ModeRun of(ModelSession session, List<InputRecord> records, int batchSize, Progress progress) {
        session.generate(records.subList(0, Math.min(batchSize, records.size())), batchSize, warmUp -> { });
        List<ModelSession.Output> outputs = new ArrayList<>(records.size());
        long start = System.nanoTime();
        session.generate(records, batchSize, batch -> {
            outputs.addAll(batch);
            if (progress != null) {
                progress.advance(batch.size());
            }
        });
        long nanos = System.nanoTime() - start;
        if (progress != null) {
            progress.finish();
        }
        long tokens = outputs.stream().mapToLong(o -> o.outputIds()[0].length).sum();
        return new ModeRun(session.pipeline().mode(), outputs, nanos, session.pipeline().peakDeviceBytes(),
                session.pipeline().cacheBytes(), tokens);
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
                runs.add(of(session, records, model.batchSize, prepare.apply(session)));
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
