package elattn.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import elattn.model.device.AttentionMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one {@link GenerationBenchmark#run} measured: a {@link Run} per (shape, batch, mode) and a
 * {@link Search} per (shape, mode) that looked for the largest batch. {@link #toJson()} writes it
 * all (one file); {@link #toMarkdown()} the tables of docs/benchmarks.md.
 *
 * @param device      the device id ({@code cuda:0})
 * @param deviceName  the vendor's name of it
 * @param deviceBytes its global memory
 * @param settings    the settings, as JSON
 * @param runs        the timed generations, in run order
 * @param searches    the largest-batch searches
 */
public record Report(String device, String deviceName, long deviceBytes, JsonObject settings, List<Run> runs,
        List<Search> searches) {

    /** How a run ended. */
    public enum Status {
        /** Generated every token. */
        OK,
        /** Stopped at its time limit; the speed is projected from the steps it ran. */
        TIMEOUT,
        /** The device (or the host memory mirroring it) had no room. */
        OUT_OF_MEMORY,
        /** An array would exceed 32-bit indexing ({@link ArrayLimits}); not run. */
        TOO_LARGE,
        /** Not run: the benchmark's total time limit was reached. */
        SKIPPED,
        /** Failed with another error (the message says which). */
        FAILED
    }

    /**
     * One phase of a generation, from the device plans' reports.
     *
     * @param steps          executes of the phase (decode: one per step)
     * @param wallSeconds    wall time of the phase, kernel builds included (decode: the search's host work too)
     * @param kernelSeconds  sum of the kernels' device times
     * @param executeSeconds time inside the plans' executes (enqueue to device finished)
     * @param buildSeconds   kernel builds inside the executes (once per plan)
     * @param launches       kernels launched (tasks whose range was not empty), summed over the phase
     * @param taskNanos      kernel nanoseconds per task ({@code graph.task}), summed over the phase
     */
    public record Phase(int steps, double wallSeconds, double kernelSeconds, double executeSeconds,
            double buildSeconds, long launches, Map<String, Long> taskNanos) {
        static final Phase NONE = new Phase(0, 0, 0, 0, 0, 0, Map.of());

        /** Mean wall time of one step without builds, in milliseconds. */
        public double stepMillis() {
            return steps == 0 ? 0 : (wallSeconds - buildSeconds) * 1e3 / steps;
        }

        /** Mean kernel time of one step, in milliseconds. */
        public double kernelMillis() {
            return steps == 0 ? 0 : kernelSeconds * 1e3 / steps;
        }

        /** Mean host time of one step (wall minus kernels), in milliseconds. */
        public double hostMillis() {
            return stepMillis() - kernelMillis();
        }

        /** Mean kernels launched per step. */
        public double launchesPerStep() {
            return steps == 0 ? 0 : launches / (double) steps;
        }

        /**
         * The part of {@link #hostMillis} outside the plans' executes, in milliseconds: the search's
         * own work between decode steps (beam bookkeeping, the next step's constraints). The rest of the
         * host time is inside the executes: launching the kernels, copying the candidates back, and the
         * device's idle gaps between kernels.
         */
        public double searchMillis() {
            return steps == 0 ? 0 : (wallSeconds - executeSeconds) * 1e3 / steps;
        }

        /** Kernel nanoseconds per step by task kind: the layer index dropped ({@code decode.dec*_ffn_fc1}). */
        public Map<String, Double> millisPerStepByKind() {
            Map<String, Double> out = new LinkedHashMap<>();
            taskNanos.forEach((task, nanos) -> out.merge(task.replaceAll("(dec|enc)\\d+_", "$1*_"),
                    nanos / 1e6 / Math.max(1, steps), Double::sum));
            return out;
        }

        /** {@link #summaryJson()} with the kernel time of every task. */
        JsonObject toJson() {
            JsonObject o = summaryJson();
            JsonObject tasks = new JsonObject();
            taskNanos.forEach(tasks::addProperty);
            o.add("task_ns", tasks);
            return o;
        }

        /** Steps, times, per-step means and launches, without the per-task times. */
        JsonObject summaryJson() {
            JsonObject o = new JsonObject();
            o.addProperty("steps", steps);
            o.addProperty("wall_s", wallSeconds);
            o.addProperty("kernel_s", kernelSeconds);
            o.addProperty("execute_s", executeSeconds);
            o.addProperty("build_s", buildSeconds);
            o.addProperty("step_ms", stepMillis());
            o.addProperty("kernel_ms_per_step", kernelMillis());
            o.addProperty("host_ms_per_step", hostMillis());
            o.addProperty("search_ms_per_step", searchMillis());
            o.addProperty("launches", launches);
            o.addProperty("launches_per_step", launchesPerStep());
            return o;
        }
    }

    /**
     * One timed generation.
     *
     * @param shape            the shape's name
     * @param mode             attention mode
     * @param batch            sentences
     * @param beams            beam width
     * @param newTokens        new tokens per sentence
     * @param status           how it ended
     * @param message          why it did not end {@link Status#OK}, or null
     * @param seconds          generation wall time without kernel builds (projected on {@link Status#TIMEOUT})
     * @param buildSeconds     kernel build time it spent besides
     * @param samplesPerSecond sentences per second
     * @param tokensPerSecond  new tokens (sentences x newTokens) per second
     * @param peakDeviceBytes  most device bytes the generation's plan held (weights, caches, scratch)
     * @param crossCacheBytes  cross-attention state ({@code DeviceModel.cacheBytes()})
     * @param selfCacheBytes   self-attention state
     * @param prefill          the encoder or the prompt, and the first scored step
     * @param decode           the decode steps
     * @param tokenChecksum    a hash of every generated token (equal in both modes when they agree), or 0
     * @param generated        the generated tokens, when the settings keep them (tests), else null
     */
    public record Run(String shape, AttentionMode mode, int batch, int beams, int newTokens, Status status,
            String message, double seconds, double buildSeconds, double samplesPerSecond, double tokensPerSecond,
            long peakDeviceBytes, long crossCacheBytes, long selfCacheBytes, Phase prefill, Phase decode,
            long tokenChecksum, int[][] generated) {

        static Run notRun(String shape, AttentionMode mode, int batch, int beams, int newTokens, Status status,
                String message) {
            return new Run(shape, mode, batch, beams, newTokens, status, message, Double.NaN, 0, Double.NaN,
                    Double.NaN, 0, 0, 0, Phase.NONE, Phase.NONE, 0, null);
        }

        JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("shape", shape);
            o.addProperty("mode", mode.name().toLowerCase(Locale.ROOT));
            o.addProperty("batch", batch);
            o.addProperty("beams", beams);
            o.addProperty("new_tokens", newTokens);
            o.addProperty("status", status.name().toLowerCase(Locale.ROOT));
            o.add("message", message == null ? JsonNull.INSTANCE : new JsonPrimitive(message));
            o.add("seconds", number(seconds));
            o.addProperty("build_s", buildSeconds);
            o.add("samples_per_s", number(samplesPerSecond));
            o.add("tokens_per_s", number(tokensPerSecond));
            o.addProperty("peak_device_bytes", peakDeviceBytes);
            o.addProperty("cache_cross_bytes", crossCacheBytes);
            o.addProperty("cache_self_bytes", selfCacheBytes);
            o.add("prefill", prefill.toJson());
            o.add("decode", decode.toJson());
            o.addProperty("token_checksum", Long.toHexString(tokenChecksum));
            return o;
        }
    }

    /**
     * A search for the largest batch of a shape and mode ({@link LargestBatch}).
     *
     * @param largest      the largest batch that fitted
     * @param smallestMiss the smallest that did not, or -1
     * @param reason       why it did not (or why the search stopped at its cap)
     * @param complete     false: time ran out, {@code largest} is a lower bound
     * @param probes       the batches tried, in order
     */
    public record Search(String shape, AttentionMode mode, int largest, int smallestMiss, String reason,
            boolean complete, int[] probes) {
        JsonObject toJson() {
            JsonObject o = new JsonObject();
            o.addProperty("shape", shape);
            o.addProperty("mode", mode.name().toLowerCase(Locale.ROOT));
            o.addProperty("largest_batch", largest);
            o.addProperty("smallest_miss", smallestMiss);
            o.add("reason", reason == null ? JsonNull.INSTANCE : new JsonPrimitive(reason));
            o.addProperty("complete", complete);
            JsonArray p = new JsonArray();
            for (int b : probes) {
                p.add(b);
            }
            o.add("probes", p);
            return o;
        }
    }

    /** A JSON number, or null for NaN and infinities (which JSON has not). */
    static JsonElement number(double v) {
        return Double.isFinite(v) ? new JsonPrimitive(v) : JsonNull.INSTANCE;
    }

    /** The whole report as one JSON document. */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("benchmark", "elattn generation");
        o.addProperty("device", device);
        o.addProperty("device_name", deviceName);
        o.addProperty("device_bytes", deviceBytes);
        o.add("settings", settings);
        JsonArray r = new JsonArray();
        runs.forEach(run -> r.add(run.toJson()));
        o.add("runs", r);
        JsonArray s = new JsonArray();
        searches.forEach(search -> s.add(search.toJson()));
        o.add("largest_batch", s);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o);
    }

    /**
     * Per shape: a table of every run, the largest batches, and the decode-step profile (kernels by
     * task kind, host) of each mode's largest completed run.
     */
    public String toMarkdown() {
        StringBuilder md = new StringBuilder();
        List<String> shapes = new ArrayList<>();
        runs.forEach(r -> {
            if (!shapes.contains(r.shape())) {
                shapes.add(r.shape());
            }
        });
        for (String shape : shapes) {
            List<Run> rs = runs.stream().filter(r -> r.shape().equals(shape)).toList();
            Run any = rs.getFirst();
            md.append(String.format(Locale.ROOT, "#### %s, beam %d, %d new tokens, on %s (%s)%n%n", shape, any.beams(),
                    any.newTokens(), device, deviceName));
            md.append("| batch | mode | samples/s | tokens/s | time s | peak device GiB | cache GiB (cross + self) |"
                    + " decode step ms (kernels + host) | status |\n|---|---|---|---|---|---|---|---|---|\n");
            for (Run r : rs) {
                boolean measured = r.status() == Status.OK || r.status() == Status.TIMEOUT;
                String mark = r.status() == Status.TIMEOUT ? " (projected)" : "";
                md.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %s | %s | %s |%n", r.batch(),
                        r.mode().name().toLowerCase(Locale.ROOT),
                        measured ? fmt(r.samplesPerSecond()) + mark : "-",
                        measured ? fmt(r.tokensPerSecond()) : "-",
                        measured ? fmt(r.seconds()) : "-",
                        measured ? gib(r.peakDeviceBytes()) : "-",
                        measured ? gib(r.crossCacheBytes()) + " + " + gib(r.selfCacheBytes()) : "-",
                        r.decode().steps() > 0 ? fmt(r.decode().stepMillis()) + " (" + fmt(r.decode().kernelMillis())
                                + " + " + fmt(r.decode().hostMillis()) + ")" : "-",
                        r.status().name().toLowerCase(Locale.ROOT)
                                + (r.message() == null ? "" : ": " + r.message().replace('|', '/'))));
            }
            md.append('\n');
            for (Search s : searches.stream().filter(s -> s.shape().equals(shape)).toList()) {
                md.append(String.format(Locale.ROOT, "- largest batch, %s: %s%s%n", s.mode().name().toLowerCase(Locale.ROOT),
                        s.complete() ? s.largest() : "at least " + s.largest() + " (search ran out of time)",
                        s.reason() == null ? "" : "; " + (s.smallestMiss() > 0 ? s.smallestMiss() + " did not fit: " : "")
                                + s.reason().replace('|', '/')));
            }
            for (AttentionMode mode : AttentionMode.values()) {
                rs.stream().filter(r -> r.mode() == mode && r.decode().steps() > 0)
                        .max(Comparator.comparingInt(Run::batch))
                        .ifPresent(r -> profile(md, r));
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static void profile(StringBuilder md, Run r) {
        md.append(String.format(Locale.ROOT, "%n%s, batch %d: a decode step takes %s ms, kernels %s ms, host %s ms"
                + " (%s of them the search between steps); prefill %s s (kernels %s s). Kernel ms per step by task"
                + " (top 8):%n%n| task | ms |%n|---|---|%n",
                r.mode().name().toLowerCase(Locale.ROOT), r.batch(), fmt(r.decode().stepMillis()),
                fmt(r.decode().kernelMillis()), fmt(r.decode().hostMillis()), fmt(r.decode().searchMillis()),
                fmt(r.prefill().wallSeconds() - r.prefill().buildSeconds()), fmt(r.prefill().kernelSeconds())));
        r.decode().millisPerStepByKind().entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(8)
                .forEach(e -> md.append(String.format(Locale.ROOT, "| %s | %s |%n", e.getKey(), fmt(e.getValue()))));
    }

    private static String fmt(double v) {
        if (!Double.isFinite(v)) {
            return "-";
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 10 ? "%.1f" : "%.2f", v);
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f", bytes / (double) (1L << 30));
    }
}
