package elattn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.testing.Python;
import elattn.testing.Python.Result;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python scripts of benchmarks/ that need no GPU, run on hand-written reports whose figures are
 * round, so the tables and the chart can be checked by hand: the ratios of the best runs, over the
 * batches both did when one stopped early; the targets; the outputs check; the command's timing.
 * Every script at least compiles (the GPU-side ones need torch, which CI has not).
 */
class BenchmarkScriptsTest {
    private static final Path BENCHMARKS = Path.of("benchmarks").toAbsolutePath();

    @TempDir
    Path tmp;

    @Test
    void everyScriptCompiles() throws IOException {
        List<String> args = new ArrayList<>(List.of("-c", "import sys\nfor f in sys.argv[1:]:\n"
                + "    compile(open(f, encoding='utf-8').read(), f, 'exec')"));
        try (Stream<Path> s = Files.list(BENCHMARKS)) {
            s.filter(p -> p.toString().endsWith(".py")).sorted().forEach(p -> args.add(p.toString()));
        }
        assertTrue(args.size() > 8, "the scripts are found: " + args);
        Result r = Python.run(tmp, args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
    }

    /** Ours at 64 and 32 samples/s (el, mha); HF fp32 32, fp16 128 but after its first batch only, + EL fp16 16. */
    private List<String> reports() throws IOException {
        write("ours-debian-bart-fp32.json", """
                {"benchmark": "elattn workload", "workload": "debian-bart", "device": "cuda:0", "device_name": "GPU X",
                 "arithmetic": "fp32", "settings": {"batch_size": 64, "model": {"checkpoint": "debian-bart"}},
                 "runs": [%s, %s]}""".formatted(ours("el", 64, "same"), ours("mha", 32, "same")));
        write("hf-debian-bart.json", """
                {"benchmark": "hf workload", "workload": "debian-bart", "transformers": "5.0", "torch": "2.0",
                 "device": "GPU X", "settings": {"batch_size": 64}, "input_ids_match": "128 of 128",
                 "runs": [%s, %s, %s]}""".formatted(hf("stock", "float32", 32, 2, "same"),
                hf("stock", "float16", 128, 1, "other"), hf("el", "float16", 16, 2, "other")));
        write("ours-bart-large-b128-fp16-tc.json", """
                {"benchmark": "elattn workload", "workload": "bart-large", "device": "cuda:0", "device_name": "GPU X",
                 "arithmetic": "fp16-tc", "settings": {"batch_size": 128, "default_batch_size": 256,
                 "model": {"config": {}}},
                 "runs": [%s, %s]}""".formatted(ours("el", 64, "a"), ours("mha", 16, "a")));
        write("command.json", """
                {"benchmark": "elattn command", "workload": "debian-bart", "label": "summarize --input", "command": ["x"],
                 "exit_code": 0, "wall_s": 12.5, "first_output_s": 3.25, "stdout_lines": 128, "stderr_tail": ""}""");
        return List.of("ours-debian-bart-fp32.json", "hf-debian-bart.json", "ours-bart-large-b128-fp16-tc.json",
                "command.json");
    }

    /** A run of ours: 128 records in two batches of 64 at {@code speed} samples/s. */
    private static String ours(String mode, double speed, String sha) {
        double s = 64 / speed;
        return """
                {"mode": "%s", "status": "ok", "records": 128, "samples_per_s": %s, "outputs_sha256": "%s",
                 "peak_device_bytes": 1073741824, "plan": {"setup_s": 0.5, "build_s": 0.25, "first_execute_s": 0.125},
                 "decode": {"step_ms": 2.0, "kernel_ms_per_step": 0.0, "host_ms_per_step": 2.0, "launches_per_step": 330},
                 "kernel_profile": {"step_ms": 3.0, "kernel_ms_per_step": 1.5, "host_ms_per_step": 1.5},
                 "batch_list": [{"records": 64, "seconds": %s}, {"records": 64, "seconds": %s}]}"""
                .formatted(mode, speed, sha, s, s);
    }

    /** An HF run at {@code speed} samples/s over {@code batches} batches of 64 (one: stopped, partial). */
    private static String hf(String variant, String dtype, double speed, int batches, String sha) {
        double s = 64 / speed;
        return """
                {"variant": "%s", "dtype": "%s", "status": "%s", "records": %d, "samples_per_s": %s,
                 "outputs_sha256": "%s", "peak_device_bytes": 2147483648, "decode": {"step_ms": 4.0},
                 "profile": {"step_ms": 4.0, "kernel_ms_per_step": 1.0, "host_ms_per_step": 3.0, "launches_per_step": 900},
                 "batch_list": [%s]}""".formatted(variant, dtype, batches == 2 ? "ok" : "partial", 64 * batches, speed,
                sha, String.join(", ", java.util.Collections.nCopies(batches, "{\"records\": 64, \"seconds\": " + s + "}")));
    }

    private void write(String name, String text) throws IOException {
        Files.writeString(tmp.resolve(name), text);
    }

    @Test
    void mergeComparesTheBestRunsOverTheBatchesBothDid() throws IOException {
        List<String> args = new ArrayList<>(List.of(BENCHMARKS.resolve("merge_workloads.py").toString()));
        args.addAll(reports());
        Result r = Python.run(tmp, args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        String md = r.out();
        assertTrue(md.startsWith("Same run, same GPU (GPU X; transformers 5.0, torch 2.0): samples/s."), md);
        // ours best (el, 64/s) against HF's best (fp16, 128/s but one batch: 64/s against 128/s on that batch);
        // against HF + EL's best (16/s, both complete); el against mha (64 against 32); the target
        assertTrue(md.contains("| debian-bart | 32.0 | 128.0 (partial, 64 records) | - | 16.0 | 64.0 | 32.0 | - | - |"
                + " 0.50x (first 1 batch) | 4.00x | fp32 2.00x | 3x HF best |"), md);
        assertTrue(md.contains("| bart-large (batch 128) | - | - | - | - | - | - | 64.0 | 16.0 | - | - | fp16-tc 4.00x"
                + " | - |"), md);
        assertTrue(md.contains("| debian-bart | ours el fp32 | 2.000 | 1.500 | 0.500 (25%) | 330 | 0.50 | 0.25 | 0.12 |"
                + " 1.00 |"), md);
        assertTrue(md.contains("| debian-bart | HF stock fp32 | 4.000 (batch 1) | 1.000 | 3.000 (75%) | 900 | - | - |"
                + " - | 2.00 |"), md);
        assertTrue(md.contains("- debian-bart: ours el fp32 outputs identical to HF stock fp32's over 128 records: yes"),
                md);
        assertTrue(md.contains("- debian-bart: HF's tokenizer gives our input ids for 128 of 128 inputs"), md);
        assertTrue(md.contains("| debian-bart | summarize --input | 12.50 | 3.25 | 128 | 0 |"), md);

        // a bundle holds the same reports: the same tables from it
        Result bundle = Python.run(tmp, BENCHMARKS.resolve("merge_workloads.py").toString(), "--bundle", "all.json",
                "ours-debian-bart-fp32.json", "hf-debian-bart.json", "ours-bart-large-b128-fp16-tc.json", "command.json");
        assertEquals(0, bundle.code(), bundle.toString());
        Result again = Python.run(tmp, BENCHMARKS.resolve("merge_workloads.py").toString(), "all.json");
        assertEquals(md, again.out());
    }

    @Test
    void chartShowsEachRunRelativeToHfsBest() throws IOException {
        List<String> args = new ArrayList<>(List.of(BENCHMARKS.resolve("plot_workloads.py").toString()));
        args.addAll(reports());
        args.add("chart.svg");
        Result r = Python.run(tmp, args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        String svg = Files.readString(tmp.resolve("chart.svg"));
        assertTrue(svg.contains("<title>ours el fp32, debian-bart: 0.50</title>"), svg);
        assertTrue(svg.contains("<title>ours mha fp32, debian-bart: 0.25</title>"), svg);
        assertTrue(svg.contains("<title>HF + EL best, debian-bart: 0.12</title>"), svg);
        assertTrue(svg.contains("stroke-dasharray"), "HF's best as a line");
        assertTrue(!svg.contains("batch 128"), "a row without HF has no bars");
    }

    @Test
    void debianSplitKeepsOneSplitInOrder() throws IOException {
        Path source = tmp.resolve("all.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(source))) {
            out.write("""
                    {"package": "a", "split": "test"}
                    {"package": "b", "split": "train"}
                    {"package": "c", "split": "test"}
                    {"package": "d", "split": "test"}
                    """.getBytes());
        }
        Result r = Python.run(tmp, BENCHMARKS.resolve("debian_split.py").toString(), "all.jsonl.gz", "test.jsonl.gz",
                "--limit", "2");
        assertEquals(0, r.code(), r.toString());
        try (var in = new GZIPInputStream(Files.newInputStream(tmp.resolve("test.jsonl.gz")))) {
            List<String> packages = new String(in.readAllBytes()).lines()
                    .map(l -> JsonParser.parseString(l).getAsJsonObject().get("package").getAsString()).toList();
            assertEquals(List.of("a", "c"), packages);
        }
    }

    @Test
    void commandTimingCountsTheLinesAndTheFirstOne() throws IOException {
        Result r = Python.run(tmp, BENCHMARKS.resolve("command_timing.py").toString(), "--out", "t.json", "--workload",
                "w", "--label", "two lines", "--", "python3", "-c", "import sys; print(1); print(2);"
                        + " print('note', file=sys.stderr)");
        assertEquals(0, r.code(), r.toString());
        JsonObject o = JsonParser.parseString(Files.readString(tmp.resolve("t.json"))).getAsJsonObject();
        assertEquals("elattn command", o.get("benchmark").getAsString());
        assertEquals(2, o.get("stdout_lines").getAsInt());
        assertEquals(0, o.get("exit_code").getAsInt());
        assertEquals("note\n", o.get("stderr_tail").getAsString());
        assertTrue(o.get("first_output_s").getAsDouble() <= o.get("wall_s").getAsDouble(), o.toString());
    }
}
