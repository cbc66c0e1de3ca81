package elattn.cli;

import com.google.gson.JsonObject;
import elattn.bench.Workload;
import elattn.bench.WorkloadReport;
import elattn.bench.Workloads;
import elattn.model.Precision;
import elattn.model.device.AttentionMode;
import elattn.runtime.Device;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code elattn bench}: the same records generated in each attention mode on one device, after one
 * untimed warm-up batch (kernels built, weights uploaded), reporting wall-clock records/s and
 * generated tokens/s of the timed pass, the peak device memory of the model's buffers and the
 * attention state EL-attention saves. With {@code --workload NAME}, one workload of the workloads
 * benchmark instead ({@link WorkloadBench}), profiled per batch and per decode step. One pass, no
 * statistics: the generation benchmark of model shapes is separate ({@code elattn.bench.GenerationBenchmark}).
 */
@Command(name = "bench", description = "Time generation of N records, or of a benchmark workload (--workload), in"
        + " each attention mode on a device: one warm-up batch, then one timed pass.")
final class BenchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "Input texts (else --input, else stdin).")
    List<String> texts = new ArrayList<>();

    @Option(names = "--input", paramLabel = "FILE", description = "JSONL inputs, as for summarize.")
    Path input;

    @Option(names = "--input-field", paramLabel = "NAME", defaultValue = "text",
            description = "The JSONL field holding the text (default: ${DEFAULT-VALUE}).")
    String inputField;

    @Option(names = "--split", paramLabel = "NAME", description = "Only JSONL records whose \"split\" is NAME.")
    String split;

    /** The most records one bench run times: each one's output is kept to compare the modes. */
    static final int MAX_RECORDS = 1_000_000;

    @Option(names = "--records", paramLabel = "N", defaultValue = "16",
            description = "Records to time, 1 to " + MAX_RECORDS + " (the inputs repeated if fewer; default:"
                    + " ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--attention", paramLabel = "el,mha", defaultValue = "el,mha",
            description = "Modes to time, comma-separated (default: ${DEFAULT-VALUE}).")
    String attention;

    @Option(names = "--generate", description = "Use the embedded GPT-2 (continuation) instead of the BART when"
            + " no --model is given.")
    boolean decoderOnly;

    @Option(names = "--workload", paramLabel = "NAME", description = "Run a workload of the workloads benchmark"
            + " instead (docs/benchmarks.md): debian-bart, marian-opus, gpt2-small, bart-large, distilbart. Its"
            + " inputs, batch size and generation settings are fixed (--records and --batch-size change them);"
            + " --model names the debian-bart checkpoint (default: the embedded one).")
    String workload;

    @Option(names = "--data", paramLabel = "FILE", defaultValue = "../shared/data/debian-descriptions.jsonl.gz",
            description = "With --workload: the Debian descriptions (JSONL, gzip allowed) whose test split the"
                    + " workloads read (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--time-limit-s", paramLabel = "S", description = "With --workload: stop each mode's timed pass"
            + " after the batch during which S seconds passed (its figures cover the batches done).")
    Long timeLimit;

    @Option(names = "--json", paramLabel = "FILE", description = "With --workload: also write the report as JSON.")
    Path json;

    @Option(names = "--export", paramLabel = "FILE", description = "With --workload: write the workload (settings"
            + " and every input's token ids) as JSON for benchmarks/hf_workloads.py, and run nothing.")
    Path export;

    /** Options that only --workload takes. */
    private static final List<String> WORKLOAD_ONLY = List.of("--data", "--time-limit-s", "--json", "--export");
    /** Options that --workload does not take: it fixes its inputs and generation settings. */
    private static final List<String> NOT_WITH_WORKLOAD = List.of("--input", "--input-field", "--split", "--generate",
            "--truncate");

    @Mixin
    ModelOptions model;

    @Mixin
    DeviceOptions deviceOptions;

    @Mixin
    GenerationOptions generation;

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (count < 1 || count > MAX_RECORDS) {
            throw new UsageException("--records must be between 1 and " + MAX_RECORDS + ", not " + count);
        }
        ParseResult parsed = spec.commandLine().getParseResult();
        if (workload != null) {
            return runWorkload(out, parsed);
        }
        for (String option : WORKLOAD_ONLY) {
            if (parsed.hasMatchedOption(option)) {
                throw new UsageException(option + " needs --workload NAME");
            }
        }
        List<AttentionMode> modes = Modes.parseList(attention);
        List<InputRecord> given = input != null
                ? Inputs.fromJsonl(input, main.in, new Inputs.Fields(inputField, "id", null, split))
                : texts.isEmpty() ? Inputs.fromStdin(main.in) : Inputs.fromArguments(texts);
        List<InputRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(given.get(i % given.size()));
        }
        Device device = deviceOptions.select();
        Path folder = model.folder(decoderOnly ? EmbeddedModels.GPT2 : EmbeddedModels.BART);
        List<ModeRun> runs = ModeRun.inEachMode(modes, folder, device, model, generation, records, session -> null);
        out.printf("%d records, batch size %d, on %s (%s); wall clock of one timed pass after a warm-up batch%n",
                records.size(), model.batchSize(device), device.id(), device.name());
        out.printf("%-5s %10s %10s %16s %20s%n", "mode", "records/s", "tokens/s", "peak device MiB", "attention cache MiB");
        for (ModeRun run : runs) {
            out.printf("%-5s %10.2f %10.1f %16s %20s%n", Modes.name(run.mode()), run.recordsPerSecond(),
                    run.tokensPerSecond(), ModeRun.mib(run.peakDeviceBytes()), ModeRun.mib(run.cacheBytes().total()));
        }
        if (runs.size() > 1) {
            boolean same = runs.stream().allMatch(r -> r.sameOutputs(runs.get(0)));
            out.printf("outputs identical across modes: %s%n", same ? "yes" : "NO");
        }
        out.flush();
        return 0;
    }

    private int runWorkload(PrintWriter out, ParseResult given) {
        Workload w;
        try {
            w = Workloads.named(workload);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--workload: " + e.getMessage());
        }
        for (String option : NOT_WITH_WORKLOAD) {
            if (given.hasMatchedOption(option)) {
                throw new UsageException("--workload fixes its inputs and settings; drop " + option);
            }
        }
        if (!texts.isEmpty()) {
            throw new UsageException("--workload fixes its inputs; drop the input texts");
        }
        if (!generation.overrides().isEmpty()) {
            throw new UsageException("--workload fixes the generation settings; drop "
                    + GenerationOptions.flagNames(String.join(", ", generation.overrides().keySet())));
        }
        if (timeLimit != null && timeLimit < 0) {
            throw new UsageException("--time-limit-s must be at least 0, not " + timeLimit);
        }
        if (model.tensorCores && model.precision() != Precision.FP16) {
            throw new UsageException("--tensor-cores multiplies fp16 weights: add --dtype fp16");
        }
        List<AttentionMode> modes = Modes.parseList(attention);
        for (Path file : new Path[]{json, export}) {
            if (file != null) {
                EvalCommand.checkWritable(file);
            }
        }
        WorkloadBench bench = new WorkloadBench(new WorkloadBench.Job(w, data,
                given.hasMatchedOption("--records") ? count : null,
                given.hasMatchedOption("--batch-size") ? model.batchSize : null,
                timeLimit == null ? null : Duration.ofSeconds(timeLimit)), model, main.in, spec.commandLine().getErr());
        Device device = deviceOptions.select();
        if (export != null) {
            bench.export(device, export);
            out.printf("workload %s written to %s%n", w.name(), export);
            out.flush();
            return 0;
        }
        WorkloadReport report = bench.run(modes, device);
        JsonObject settings = report.settings();
        out.printf("workload %s on %s (%s), %s: %d records, batch %d; one timed pass after a warm-up batch%n",
                w.name(), device.id(), device.name(), report.arithmetic(), settings.get("records").getAsInt(),
                settings.get("batch_size").getAsInt());
        out.print(report.toText());
        out.flush();
        if (json != null) {
            WorkloadBench.write(json, report.toJson());
        }
        List<String> failed = report.runs().stream().filter(r -> r.status() == WorkloadReport.Status.FAILED)
                .map(r -> Modes.name(r.mode())).toList();
        if (!failed.isEmpty()) {
            throw new CliException("bench --workload " + w.name() + ": " + String.join(" and ", failed) + " failed (see"
                    + " above)" + (json != null ? "; the report of every mode is in " + json : ""));
        }
        return 0;
    }
}
