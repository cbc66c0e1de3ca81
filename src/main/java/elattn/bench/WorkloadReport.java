package elattn.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import elattn.model.device.AttentionMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * What one {@code elattn bench --workload} measured: the workload's settings and, per attention
 * mode, the timed pass ({@link ModeResult}). {@link #toJson()} is the file
 * {@code benchmarks/merge_workloads.py} reads beside the HF script's; {@link #toText()} the table
 * the command prints. docs/benchmarks.md, "Workloads", lists the fields.
 *
 * @param workload    the workload's name
 * @param device      the device id
 * @param deviceName  the vendor's name of it
 * @param deviceBytes its global memory
 * @param arithmetic  {@code fp32}, {@code fp16} (fp16 weights, fp32 arithmetic) or {@code fp16-tc} (tensor cores)
 * @param settings    the workload and the run's settings, as JSON
 * @param runs        one per mode, in the order they ran
 */
public record WorkloadReport(String workload, String device, String deviceName, long deviceBytes, String arithmetic,
        JsonObject settings, List<ModeResult> runs) {

    /** How a mode's pass ended. */
    public enum Status {
        /** Every input generated. */
        OK,
        /** Stopped after the batch during which the time limit passed; the figures cover the batches done. */
        PARTIAL,
        /** Failed (the message says why); no figures. */
        FAILED
    }

    /**
     * One mode's timed pass.
     *
     * @param mode            attention mode
     * @param status          how it ended
     * @param message         why it failed, or null
     * @param records         inputs generated in the timed pass
     * @param seconds         wall time of the timed pass: tokenizing, every batch (plans, kernel builds
     *                        and all), reading and decoding the outputs
     * @param generatedTokens tokens generated, best hypothesis of each input, up to and including EOS
     * @param warmUpSeconds   the untimed warm-up: the first batch, generated once before the pass
     * @param peakDeviceBytes most device memory the model's buffers held (weights, caches, scratch)
     * @param outputsSha256   SHA-256 of the generated tokens ({@link #sha256}), equal where outputs are
     * @param profile         the pass's profile, or null when it failed: run as unobserved (no launch
     *                        timed, CUDA graphs replayed), so its decode steps have wall times and
     *                        launches but no kernel times
     * @param kernelProfile   a second, profiled pass over the first batch (each launch timed, one by
     *                        one): the kernel time of a decode step; or null
     */
    public record ModeResult(AttentionMode mode, Status status, String message, int records, double seconds,
            long generatedTokens, double warmUpSeconds, long peakDeviceBytes, String outputsSha256,
            PassProfile profile, PassProfile kernelProfile) {

        /** A mode that failed before or during its pass. */
        public static ModeResult failed(AttentionMode mode, String message) {
            return new ModeResult(mode, Status.FAILED, message, 0, Double.NaN, 0, Double.NaN, 0, null, null, null);
        }

        public double samplesPerSecond() {
            return records / seconds;
        }

        public double tokensPerSecond() {
            return generatedTokens / seconds;
        }

        JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("mode", mode.name().toLowerCase(Locale.ROOT));
            o.addProperty("status", status.name().toLowerCase(Locale.ROOT));
            o.add("message", message == null ? JsonNull.INSTANCE : new JsonPrimitive(message));
            o.addProperty("records", records);
            if (profile == null) {
                return o;
            }
            o.addProperty("batches", profile.batches().size());
            o.add("seconds", Report.number(seconds));
            o.add("samples_per_s", Report.number(samplesPerSecond()));
            o.add("tokens_per_s", Report.number(tokensPerSecond()));
            o.addProperty("generated_tokens", generatedTokens);
            o.add("warmup_s", Report.number(warmUpSeconds));
            o.addProperty("encode_s", profile.encodeSeconds());
            o.addProperty("peak_device_bytes", peakDeviceBytes);
            o.addProperty("outputs_sha256", outputsSha256);
            o.add("plan", profile.planJson());
            o.add("prefill", profile.prefill().toJson());
            o.add("decode", profile.decode().toJson());
            o.add("batch_list", profile.batchesJson());
            if (kernelProfile != null) {
                o.add("kernel_profile", kernelProfile.decode().toJson());
            }
            return o;
        }

        /** Kernel milliseconds of a decode step, from the {@link #kernelProfile}; NaN without one. */
        public double stepKernelMillis() {
            return kernelProfile == null ? Double.NaN : kernelProfile.decode().kernelMillis();
        }

        /** Host milliseconds of a decode step: the timed pass's step less {@link #stepKernelMillis}. */
        public double stepHostMillis() {
            return profile.decode().stepMillis() - stepKernelMillis();
        }
    }

    /**
     * SHA-256 (hex) of token sequences, each written as its ids in decimal separated by spaces and
     * ended by a newline; {@code benchmarks/hf_workloads.py} hashes HF's outputs the same way.
     */
    public static String sha256(List<int[]> sequences) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder line = new StringBuilder();
        for (int[] s : sequences) {
            line.setLength(0);
            for (int i = 0; i < s.length; i++) {
                line.append(i == 0 ? "" : " ").append(s[i]);
            }
            sha.update(line.append('\n').toString().getBytes(StandardCharsets.US_ASCII));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The report as one JSON document. */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("benchmark", "elattn workload");
        o.addProperty("workload", workload);
        o.addProperty("device", device);
        o.addProperty("device_name", deviceName);
        o.addProperty("device_bytes", deviceBytes);
        o.addProperty("arithmetic", arithmetic);
        o.add("settings", settings);
        JsonArray r = new JsonArray();
        runs.forEach(run -> r.add(run.toJson()));
        o.add("runs", r);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n";
    }

    /** One line per mode: speed, memory, and what a decode step and a new batch shape cost. */
    public String toText() {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "%-4s %-8s %8s %10s %10s %9s %8s %10s %8s %9s %8s %8s%n", "mode",
                "status", "records", "samples/s", "tokens/s", "peak MiB", "step ms", "kernel ms", "host ms",
                "launches", "setup s", "build s"));
        for (ModeResult r : runs) {
            if (r.profile() == null) {
                t.append(String.format(Locale.ROOT, "%-4s %-8s %s%n", name(r.mode()), "failed", r.message()));
                continue;
            }
            Report.Phase d = r.profile().decode();
            JsonObject plan = r.profile().planJson();
            t.append(String.format(Locale.ROOT, "%-4s %-8s %8d %10.2f %10.1f %9.1f %8.3f %10.3f %8.3f %9.1f %8.2f %8.2f%n",
                    name(r.mode()), r.status().name().toLowerCase(Locale.ROOT), r.records(), r.samplesPerSecond(),
                    r.tokensPerSecond(), r.peakDeviceBytes() / (double) (1 << 20), d.stepMillis(), r.stepKernelMillis(),
                    r.stepHostMillis(), d.launchesPerStep(), plan.get("setup_s").getAsDouble(),
                    plan.get("build_s").getAsDouble()));
        }
        return t.toString();
    }

    private static String name(AttentionMode mode) {
        return mode.name().toLowerCase(Locale.ROOT);
    }
}
