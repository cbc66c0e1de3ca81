package elattn.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import elattn.bench.PassProfile;
import elattn.bench.RandomWeights;
import elattn.bench.Workload;
import elattn.bench.WorkloadReport;
import elattn.bench.WorkloadReport.ModeResult;
import elattn.bench.WorkloadReport.Status;
import elattn.generate.GenerationConfig;
import elattn.kernel.NativeArray;
import elattn.model.ModelWeights;
import elattn.model.device.AttentionMode;
import elattn.pipeline.Pipeline;
import elattn.runtime.Device;
import elattn.text.BpeTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map.Entry;

/**
 * {@code elattn bench --workload NAME}: one workload of {@link elattn.bench.Workloads} run through
 * the commands' own code path ({@link ModelSession}: tokenizing, batching in input order with
 * padding to each batch's longest input, the search, decoding), a warm-up batch and then the timed
 * pass in each attention mode ({@link ModeRun}), profiled by a {@link PassProfile}. The shipped
 * model is opened as {@code summarize} opens it; a random-weight model is built in memory
 * ({@link Pipeline#of}). {@link #export} writes the same job for {@code benchmarks/hf_workloads.py}.
 */
final class WorkloadBench {
    /**
     * What to run.
     *
     * @param workload  the workload
     * @param data      the Debian data file (JSONL, gzip allowed), for the workloads that read it
     * @param records   inputs to use (the first ones), or null for all the workload has
     * @param batchSize inputs per batch, or null for the workload's
     * @param timeLimit each mode's timed pass stops after the batch during which this passed; null: none
     */
    record Job(Workload workload, Path data, Integer records, Integer batchSize, Duration timeLimit) {
        int batch() {
            return batchSize != null ? batchSize : workload.batchSize();
        }
    }

    private final Job job;
    private final ModelOptions model;
    private final InputStream stdin;
    private final PrintWriter err;
    /** The shipped checkpoint's folder: the model of a checkpoint workload, else the tokenizer that counts lengths. */
    private final Path debianBart;

    WorkloadBench(Job job, ModelOptions model, InputStream stdin, PrintWriter err) {
        this.job = job;
        this.model = model;
        this.stdin = stdin;
        this.err = err;
        this.debianBart = model.folder(EmbeddedModels.BART);
    }

    /** The job's inputs in order, their token ids, and the settings of its report. */
    private record Prepared(List<InputRecord> records, List<int[]> ids, JsonObject settings) {
    }

    /**
     * Reads the inputs; for the checkpoint opens it on {@code device} (nothing runs) to tokenize
     * them as the pass will and to read its generation config.
     */
    private Prepared prepare(Device device) {
        List<InputRecord> records = inputs();
        Workload w = job.workload();
        if (!w.fromCheckpoint()) {
            List<int[]> ids = records.stream().map(InputRecord::inputIds).toList();
            return new Prepared(records, ids, settings(w.generationConfig(), ids));
        }
        try (ModelSession session = open(device, AttentionMode.EL, null)) {
            List<int[]> ids = session.encodeAll(records).stream().map(e -> e[0]).toList();
            return new Prepared(records, ids, settings(session.generation(), ids));
        }
    }

    /** Runs the job in each of {@code modes} on {@code device}. */
    WorkloadReport run(List<AttentionMode> modes, Device device) {
        Prepared prepared = prepare(device);
        Workload w = job.workload();
        ModelWeights<? extends NativeArray> weights = w.fromCheckpoint() ? null
                : RandomWeights.of(w.config(), w.seed(), Workload.INIT_STD, model.precision());
        List<ModeResult> runs = new ArrayList<>();
        for (AttentionMode mode : modes) {
            try (ModelSession session = open(device, mode, weights)) {
                runs.add(timed(session, prepared.records()));
            }
        }
        return new WorkloadReport(w.name(), device.id(), device.name(), device.globalMemoryBytes(), arithmetic(),
                prepared.settings(), runs);
    }

    private ModeResult timed(ModelSession session, List<InputRecord> records) {
        AttentionMode mode = session.pipeline().mode();
        PassProfile profile = (job.timeLimit() == null ? PassProfile.unlimited()
                : PassProfile.limitedTo(job.timeLimit())).withoutKernelTimes();
        PassProfile kernelProfile = PassProfile.unlimited();
        ModeRun run;
        try {
            run = ModeRun.of(session, records, job.batch(), null, profile);
            ModeRun.of(session, records.subList(0, Math.min(job.batch(), records.size())), job.batch(), null,
                    kernelProfile);
        } catch (RuntimeException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            err.println("elattn: bench --workload " + job.workload().name() + ": " + Modes.name(mode) + " failed: "
                    + message);
            err.flush();
            return ModeResult.failed(mode, message);
        }
        List<int[]> best = run.outputs().stream().map(o -> o.outputIds()[0]).toList();
        return new ModeResult(mode, best.size() < records.size() ? Status.PARTIAL : Status.OK, null, best.size(),
                run.nanos() / 1e9, run.generatedTokens(), run.warmUpNanos() / 1e9, run.peakDeviceBytes(),
                WorkloadReport.sha256(best), profile, kernelProfile);
    }

    /**
     * Writes the job as {@code benchmarks/hf_workloads.py} reads it: the workload, its settings and
     * every input's token ids (and text); the checkpoint is opened on {@code device} to tokenize, but
     * nothing runs.
     */
    void export(Device device, Path file) {
        Prepared prepared = prepare(device);
        JsonObject o = prepared.settings();
        JsonArray inputs = new JsonArray();
        for (int i = 0; i < prepared.records().size(); i++) {
            JsonObject r = new JsonObject();
            String text = prepared.records().get(i).text();
            if (text != null) {
                r.addProperty("text", text);
            }
            JsonArray a = new JsonArray();
            for (int id : prepared.ids().get(i)) {
                a.add(id);
            }
            r.add("input_ids", a);
            inputs.add(r);
        }
        o.add("inputs", inputs);
        write(file, new GsonBuilder().serializeNulls().create().toJson(o) + "\n");
    }

    /**
     * The workload's definition with what this run adds: inputs and their lengths, batch, the
     * generation settings as HF's keyword arguments (null ones left out), the time limit.
     */
    private JsonObject settings(GenerationConfig g, List<int[]> ids) {
        Workload w = job.workload();
        JsonObject o = w.toJson();
        if (w.fromCheckpoint()) {
            o.getAsJsonObject("model").addProperty("dir", debianBart.toString());
            o.addProperty("truncate", true);
        }
        o.addProperty("records", ids.size());
        o.addProperty("batch_size", job.batch());
        o.addProperty("default_batch_size", w.batchSize());
        o.add("time_limit_s", job.timeLimit() == null ? null : new JsonPrimitive(job.timeLimit().toSeconds()));
        JsonObject kwargs = new JsonObject();
        for (Entry<String, JsonElement> e : g.toJson().entrySet()) {
            // max_length is left out where max_new_tokens decides: HF warns when given both
            if (!e.getValue().isJsonNull() && !(e.getKey().equals("max_length") && g.maxNewTokens() != null)) {
                kwargs.add(e.getKey(), e.getValue());
            }
        }
        o.add("generation", kwargs);
        Integer exact = g.minNewTokens() != null && g.minNewTokens().equals(g.maxNewTokens()) ? g.maxNewTokens() : null;
        o.add("exact_new_tokens", exact == null ? null : new JsonPrimitive(exact));
        JsonObject lengths = new JsonObject();
        lengths.addProperty("min", ids.stream().mapToInt(a -> a.length).min().orElse(0));
        lengths.addProperty("mean", ids.stream().mapToInt(a -> a.length).average().orElse(0));
        lengths.addProperty("max", ids.stream().mapToInt(a -> a.length).max().orElse(0));
        o.add("input_tokens", lengths);
        return o;
    }

    private String arithmetic() {
        return model.precision() + (model.tensorCores ? "-tc" : "");
    }

    private ModelSession open(Device device, AttentionMode mode, ModelWeights<? extends NativeArray> weights) {
        Workload w = job.workload();
        if (w.fromCheckpoint()) {
            return ModelSession.open(debianBart, device, mode, model, new GenerationOptions(), true);
        }
        Pipeline pipeline = Pipeline.of(w.config(), weights, w.generationConfig(), device, mode);
        try {
            pipeline.tensorCores(model.tensorCores);
            return ModelSession.of("workload " + w.name() + " (random weights)", pipeline, err);
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    /** The workload's inputs, in order: texts, or token ids. */
    private List<InputRecord> inputs() {
        Workload w = job.workload();
        List<InputRecord> records = new ArrayList<>();
        if (w.inputs() == Workload.Inputs.DEBIAN_TEXTS) {
            records.addAll(debianTestSplit());
        } else {
            List<Integer> lengths = new ArrayList<>();
            if (w.readsDebianData()) {
                BpeTokenizer tokenizer = BpeTokenizer.open(debianBart);
                debianTestSplit().forEach(r -> lengths.add(tokenizer.encode(r.text(), true).length));
            }
            List<int[]> ids = w.randomInputs(lengths);
            for (int i = 0; i < ids.size(); i++) {
                records.add(new InputRecord(new JsonPrimitive(i + 1), null, ids.get(i), null, null,
                        "workload " + w.name() + " input " + (i + 1)));
            }
        }
        return job.records() == null ? records : records.subList(0, Math.min(job.records(), records.size()));
    }

    private List<InputRecord> debianTestSplit() {
        if (!Files.isRegularFile(job.data())) {
            throw new CliException("--data " + job.data() + ": no such file; workload " + job.workload().name()
                    + " reads the Debian test split of debian-descriptions.jsonl.gz (the project's shared data folder,"
                    + " ../shared/data/)");
        }
        return Inputs.fromJsonl(job.data(), stdin, new Inputs.Fields("description", "package", null, "test"));
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw CliException.cannot("write", file, e);
        }
    }
}
