package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.bench.PassProfile.BatchProfile;
import elattn.bench.Report;
import elattn.bench.Workload;
import elattn.bench.WorkloadReport;
import elattn.bench.WorkloadReport.ModeResult;
import elattn.bench.WorkloadReport.Status;
import elattn.bench.Workloads;
import elattn.model.device.AttentionMode;
import elattn.runtime.Devices;
import elattn.testing.Python;
import elattn.text.BpeTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * {@code elattn bench --workload} on the jvm device: every workload (the random-weight ones scaled
 * down to d_model 32 and a sixth of their layers, with their real vocabularies, positions, inputs and
 * generation settings) over three records of a small Debian file in batches of two; the figures must
 * fit together (tokens = records x new tokens where the length is exact, one decode step per new token
 * after the first, per-batch widths of the inputs' lengths), the shipped model's outputs must be those
 * of {@code elattn summarize} itself, and the export must hold the inputs the run used.
 */
class WorkloadBenchTest {
    static final Path DEBIAN_BART = Path.of("models/debian-bart");
    /** Three test records (the last longer than debian-bart's 512 positions) and a train record between. */
    static final List<String> TEXTS = List.of("A small tool that counts words in text files.",
            "Library for parsing configuration files, with bindings for several languages and a command line"
                    + " client. This package contains the development headers.",
            "long words ".repeat(400).strip());

    @TempDir
    static Path tmp;
    static Path data;
    static Path testSplit;

    @BeforeAll
    static void debianFile() throws IOException {
        data = tmp.resolve("debian.jsonl.gz");
        testSplit = tmp.resolve("test.jsonl");
        StringBuilder all = new StringBuilder();
        StringBuilder test = new StringBuilder();
        for (int i = 0; i < TEXTS.size(); i++) {
            String line = record("p" + i, TEXTS.get(i), "test");
            all.append(line);
            test.append(line);
            if (i == 0) {
                all.append(record("other", "Not in the test split.", "train"));
            }
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(data))) {
            out.write(all.toString().getBytes());
        }
        Files.writeString(testSplit, test);
    }

    private static String record(String name, String description, String split) {
        JsonObject o = new JsonObject();
        o.addProperty("package", name);
        o.addProperty("synopsis", "s");
        o.addProperty("description", description);
        o.addProperty("split", split);
        return o + "\n";
    }

    /** The workload with d_model 32, 4 heads, FFN 64 and a sixth of its layers (at least one); the rest as it is. */
    static Workload scaledDown(Workload w) {
        if (w.fromCheckpoint()) {
            return w;
        }
        JsonObject c = w.hfConfig().deepCopy();
        if (c.get("model_type").getAsString().equals("gpt2")) {
            c.addProperty("n_embd", 32);
            c.addProperty("n_head", 4);
            c.addProperty("n_layer", c.get("n_layer").getAsInt() / 6);
        } else {
            c.addProperty("d_model", 32);
            for (String key : List.of("encoder_attention_heads", "decoder_attention_heads")) {
                c.addProperty(key, 4);
            }
            for (String key : List.of("encoder_ffn_dim", "decoder_ffn_dim")) {
                c.addProperty(key, 64);
            }
            for (String key : List.of("encoder_layers", "decoder_layers")) {
                c.addProperty(key, Math.max(1, c.get(key).getAsInt() / 6));
            }
        }
        return new Workload(w.name(), w.description(), null, c, w.inputs(), w.inputWidth(), w.records(), w.batchSize(),
                w.generation(), w.seed());
    }

    /** A bench of {@code w} with the model options the command line {@code flags} give. */
    static WorkloadBench bench(WorkloadBench.Job job, StringWriter err, String... flags) {
        BenchCommand command = new BenchCommand();
        PrintWriter errors = new PrintWriter(err, true);
        new CommandLine(command).setErr(errors).parseArgs(flags);
        return new WorkloadBench(job, command.model, InputStream.nullInputStream(), errors);
    }

    static WorkloadReport run(Workload w, Duration limit, AttentionMode... modes) {
        StringWriter err = new StringWriter();
        WorkloadReport report = bench(new WorkloadBench.Job(w, data, 3, 2, limit), err, "--model", DEBIAN_BART.toString())
                .run(List.of(modes), Devices.byId("jvm"));
        assertEquals("", err.toString(), "no notices: every batch fits");
        return report;
    }

    /** Tokens of each test record as the workload's inputs have them: debian-bart's count, cut to the positions. */
    static List<Integer> lengths(int positions) {
        BpeTokenizer tokenizer = BpeTokenizer.open(DEBIAN_BART);
        return TEXTS.stream().map(t -> Math.min(positions, tokenizer.encode(t, true).length)).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"debian-bart", "marian-opus", "gpt2-small", "bart-large", "distilbart"})
    void everyWorkloadRunsWithFiguresThatFitTogether(String name) {
        Workload w = scaledDown(Workloads.named(name));
        WorkloadReport report = run(w, null, AttentionMode.EL, AttentionMode.MHA);

        assertEquals(name, report.workload());
        assertEquals("jvm", report.device());
        assertEquals("fp32", report.arithmetic());
        JsonObject settings = report.settings();
        assertEquals(3, settings.get("records").getAsInt());
        assertEquals(2, settings.get("batch_size").getAsInt());
        List<Integer> widths = switch (w.inputs()) {
            case RANDOM -> List.of(w.inputWidth(), w.inputWidth());
            case DEBIAN_TEXTS, DEBIAN_LENGTHS -> {
                List<Integer> l = lengths(w.fromCheckpoint() ? 512 : w.config().maxPositions());
                yield List.of(Math.max(l.get(0), l.get(1)), l.get(2));
            }
        };
        Integer exact = settings.get("exact_new_tokens").isJsonNull() ? null
                : settings.get("exact_new_tokens").getAsInt();
        assertEquals(w.fromCheckpoint() ? null : w.generation().get("max_new_tokens").getAsInt(), exact);

        assertEquals(2, report.runs().size());
        for (ModeResult r : report.runs()) {
            String what = name + " " + r.mode();
            assertEquals(Status.OK, r.status(), what + ": " + r.message());
            assertEquals(3, r.records(), what);
            List<BatchProfile> batches = r.profile().batches();
            assertEquals(List.of(2, 1), batches.stream().map(BatchProfile::records).toList(), what);
            assertEquals(widths, batches.stream().map(BatchProfile::width).toList(), what);
            Report.Phase decode = r.profile().decode();
            if (exact != null) {
                assertEquals(3L * exact, r.generatedTokens(), what + ": every record gets exactly the new tokens");
                assertEquals(2 * (exact - 1), decode.steps(), what + ": one step per new token after the first");
                for (BatchProfile b : batches) {
                    assertEquals(exact - 1, b.decode().steps(), what);
                }
            }
            assertTrue(r.profile().prefill().steps() >= 2 * 2, what + ": per batch at least its tables and one step");
            assertEquals(0, decode.kernelMillis(), what + ": the timed pass runs unprofiled");
            assertTrue(r.stepKernelMillis() > 0, what + ": the profiled first batch times the kernels");
            assertTrue(decode.launchesPerStep() > 0, what);
            double batchSeconds = batches.stream().mapToDouble(BatchProfile::seconds).sum();
            assertTrue(batchSeconds <= r.seconds() && r.seconds() > 0, what);
            assertTrue(batches.stream().allMatch(b -> b.setupSeconds() >= 0 && b.setupSeconds() <= b.seconds()), what);
            assertTrue(r.peakDeviceBytes() > 0, what);
            assertTrue(r.warmUpSeconds() > 0, what);
            assertEquals(r.records() / r.seconds(), r.samplesPerSecond(), 1e-9, what);
        }
        assertEquals(report.runs().get(0).outputsSha256(), report.runs().get(1).outputsSha256(),
                name + ": EL-attention changes no output");

        JsonObject json = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertEquals("elattn workload", json.get("benchmark").getAsString());
        JsonObject el = json.getAsJsonArray("runs").get(0).getAsJsonObject();
        for (String key : List.of("mode", "status", "records", "batches", "seconds", "samples_per_s", "tokens_per_s",
                "generated_tokens", "warmup_s", "encode_s", "peak_device_bytes", "outputs_sha256", "plan", "prefill",
                "decode", "batch_list")) {
            assertTrue(el.has(key), key);
        }
        for (String key : List.of("step_ms", "kernel_ms_per_step", "host_ms_per_step", "launches_per_step", "task_ns")) {
            assertTrue(el.getAsJsonObject("decode").has(key), key);
        }
        JsonObject batch = el.getAsJsonArray("batch_list").get(0).getAsJsonObject();
        for (String key : List.of("records", "width", "seconds", "setup_ms", "build_ms", "first_execute_ms", "decode")) {
            assertTrue(batch.has(key), key);
        }
        assertTrue(report.toText().lines().anyMatch(l -> l.startsWith("mha  ok ")), report.toText());
    }

    @Test
    void theMergeScriptReadsTheReport() throws IOException {
        WorkloadReport report = run(scaledDown(Workloads.named("gpt2-small")), null, AttentionMode.EL);
        Path dir = Files.createDirectories(tmp.resolve("merge"));
        Files.writeString(dir.resolve("ours.json"), report.toJson());
        ModeResult el = report.runs().get(0);
        // HF at twice our speed over the same records: ours / HF best = 0.50x
        Files.writeString(dir.resolve("hf.json"), """
                {"benchmark": "hf workload", "workload": "gpt2-small", "transformers": "5", "torch": "2", "device": "d",
                 "settings": {"batch_size": 2, "default_batch_size": 64},
                 "runs": [{"variant": "stock", "dtype": "float32", "status": "ok", "records": 3, "samples_per_s": %s,
                           "peak_device_bytes": 1, "decode": {"step_ms": 1.0}, "profile": {}, "batch_list": []}]}"""
                .formatted(2 * el.samplesPerSecond()));
        Python.Result r = Python.run(dir, Path.of("benchmarks/merge_workloads.py").toAbsolutePath().toString(),
                "ours.json", "hf.json");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("| gpt2-small (batch 2) |") && l.contains("| 0.50x |")),
                r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("| gpt2-small (batch 2) | ours el fp32 | ")), r.out());
    }

    @Test
    void theShippedModelGeneratesWhatSummarizeWrites() throws IOException {
        WorkloadReport report = run(Workloads.named("debian-bart"), null, AttentionMode.EL);
        Path out = tmp.resolve("summaries.jsonl");
        CliRun s = CliRun.run("summarize", "--model", DEBIAN_BART.toString(), "--device", "jvm", "--input",
                testSplit.toString(), "--input-field", "description", "--batch-size", "2", "--truncate",
                "--output", out.toString());
        assertEquals(0, s.code(), s.toString());
        List<int[]> outputs = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            JsonArray best = JsonParser.parseString(line).getAsJsonObject().getAsJsonArray("output_ids").get(0)
                    .getAsJsonArray();
            int[] ids = new int[best.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = best.get(i).getAsInt();
            }
            outputs.add(ids);
        }
        ModeResult r = report.runs().get(0);
        assertEquals(WorkloadReport.sha256(outputs), r.outputsSha256(), "the same outputs as the command's");
        assertEquals(outputs.stream().mapToLong(a -> a.length).sum(), r.generatedTokens());
        JsonObject generation = report.settings().getAsJsonObject("generation");
        assertEquals(4, generation.get("num_beams").getAsInt());
        assertEquals(40, generation.get("max_length").getAsInt());
        assertEquals(3, generation.get("no_repeat_ngram_size").getAsInt());
    }

    @Test
    void aTimeLimitStopsThePassAfterTheBatchInWhichItPassed() {
        WorkloadReport report = run(scaledDown(Workloads.named("gpt2-small")), Duration.ZERO, AttentionMode.EL);
        ModeResult r = report.runs().get(0);
        assertEquals(Status.PARTIAL, r.status());
        assertEquals(2, r.records(), "the first batch, then the limit");
        assertEquals(1, r.profile().batches().size());
        assertEquals(2L * 64, r.generatedTokens());
        assertEquals(0, report.settings().get("time_limit_s").getAsInt());
        assertEquals("partial", JsonParser.parseString(report.toJson()).getAsJsonObject().getAsJsonArray("runs")
                .get(0).getAsJsonObject().get("status").getAsString());
    }

    @Test
    void theExportHoldsTheInputsAndSettingsOfTheRun() throws IOException {
        Path file = tmp.resolve("debian-bart.json");
        StringWriter err = new StringWriter();
        bench(new WorkloadBench.Job(Workloads.named("debian-bart"), data, null, null, null), err, "--model",
                DEBIAN_BART.toString()).export(Devices.byId("jvm"), file);
        JsonObject spec = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        assertEquals("debian-bart", spec.get("workload").getAsString());
        assertEquals(DEBIAN_BART.toString(), spec.getAsJsonObject("model").get("dir").getAsString());
        assertEquals(64, spec.get("batch_size").getAsInt());
        assertTrue(spec.get("truncate").getAsBoolean());
        JsonArray inputs = spec.getAsJsonArray("inputs");
        assertEquals(3, inputs.size(), "the test split only");
        BpeTokenizer tokenizer = BpeTokenizer.open(DEBIAN_BART);
        for (int i = 0; i < 3; i++) {
            JsonObject r = inputs.get(i).getAsJsonObject();
            assertEquals(TEXTS.get(i), r.get("text").getAsString());
            int[] full = tokenizer.encode(TEXTS.get(i), true);
            JsonArray ids = r.getAsJsonArray("input_ids");
            assertEquals(Math.min(512, full.length), ids.size());
            assertEquals(full[0], ids.get(0).getAsInt());
            assertEquals(full[full.length - 1], ids.get(ids.size() - 1).getAsInt(), "truncation keeps the final </s>");
        }

        Path marian = tmp.resolve("marian.json");
        bench(new WorkloadBench.Job(Workloads.named("marian-opus"), data, null, null, null), err, "--model",
                DEBIAN_BART.toString()).export(Devices.byId("jvm"), marian);
        JsonObject m = JsonParser.parseString(Files.readString(marian)).getAsJsonObject();
        assertEquals(lengths(512), m.getAsJsonArray("inputs").asList().stream()
                .map(e -> e.getAsJsonObject().getAsJsonArray("input_ids").size()).toList());
        assertFalse(m.getAsJsonArray("inputs").get(0).getAsJsonObject().has("text"));
        JsonObject g = m.getAsJsonObject("generation");
        assertEquals(64, g.get("max_new_tokens").getAsInt());
        assertEquals(64, g.get("min_new_tokens").getAsInt());
        assertEquals(58100, g.get("pad_token_id").getAsInt());
        assertNull(g.get("max_length"), "max_new_tokens decides; HF would warn of both");
        assertEquals(64, m.get("exact_new_tokens").getAsInt());
        assertEquals("marian", m.getAsJsonObject("model").getAsJsonObject("config").get("model_type").getAsString());
        assertEquals("", err.toString());
    }

    @Test
    void theCommandRunsAWorkloadAndWritesItsReport() throws IOException {
        Path json = tmp.resolve("report.json");
        CliRun r = CliRun.run("bench", "--workload", "debian-bart", "--model", DEBIAN_BART.toString(), "--data",
                data.toString(), "--device", "jvm", "--records", "2", "--batch-size", "2", "--attention", "el",
                "--json", json.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("workload debian-bart on jvm ("), r.out());
        assertTrue(r.out().contains("fp32: 2 records, batch 2;"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("el   ok ")), r.out());
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(1, o.getAsJsonArray("runs").size());
        assertEquals(2, o.getAsJsonArray("runs").get(0).getAsJsonObject().get("records").getAsInt());
    }

    @Test
    void badWorkloadCommandLinesAreOneLineErrors() {
        CliRun unknown = CliRun.run("bench", "--workload", "t5");
        assertEquals(2, unknown.code());
        assertEquals("elattn: --workload: no workload 't5'; workloads are debian-bart, marian-opus, gpt2-small,"
                + " bart-large, distilbart (see `elattn bench --help`)\n", unknown.err());
        CliRun jsonAlone = CliRun.run("bench", "--json", "x.json", "text");
        assertEquals(2, jsonAlone.code());
        assertTrue(jsonAlone.err().startsWith("elattn: --json needs --workload NAME"), jsonAlone.err());
        CliRun beams = CliRun.run("bench", "--workload", "gpt2-small", "--num-beams", "2");
        assertEquals(2, beams.code());
        assertTrue(beams.err().startsWith("elattn: --workload fixes the generation settings; drop --num-beams"),
                beams.err());
        CliRun input = CliRun.run("bench", "--workload", "gpt2-small", "--input", "x.jsonl");
        assertEquals(2, input.code());
        assertTrue(input.err().startsWith("elattn: --workload fixes its inputs and settings; drop --input"),
                input.err());
        CliRun cores = CliRun.run("bench", "--workload", "gpt2-small", "--tensor-cores");
        assertEquals(2, cores.code());
        assertTrue(cores.err().startsWith("elattn: --tensor-cores multiplies fp16 weights: add --dtype fp16"),
                cores.err());
        CliRun noData = CliRun.run("bench", "--workload", "marian-opus", "--model", DEBIAN_BART.toString(), "--data",
                tmp.resolve("missing.jsonl.gz").toString(), "--device", "jvm");
        assertEquals(1, noData.code());
        assertEquals(1, noData.err().lines().count(), noData.err());
        assertTrue(noData.err().startsWith("elattn: --data " + tmp.resolve("missing.jsonl.gz") + ": no such file;"
                + " workload marian-opus reads the Debian test split"), noData.err());
    }
}
