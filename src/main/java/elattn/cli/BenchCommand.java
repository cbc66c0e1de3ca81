package elattn.cli;

import elattn.model.device.AttentionMode;
import elattn.runtime.Device;
import java.io.PrintWriter;
import java.nio.file.Path;
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

/**
 * {@code elattn bench}: a first, simple generation benchmark — the same records generated in each
 * attention mode on one device, after one untimed warm-up batch (kernels built, weights uploaded),
 * reporting wall-clock records/s and generated tokens/s of the timed pass, the peak device memory
 * of the model's buffers and the attention state EL-attention saves. One pass, no statistics: the
 * full generation benchmark is separate (issue 5).
 */
@Command(name = "bench", description = "Time generation of N records in each attention mode on a device"
        + " (a first version: one warm-up batch, then one timed pass).")
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
                records.size(), model.batchSize, device.id(), device.name());
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
}
