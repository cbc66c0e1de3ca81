package elattn.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import elattn.eval.Rouge;
import elattn.model.device.AttentionMode;
import elattn.runtime.Device;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code elattn eval}: ROUGE-1/2/L F1 ({@link Rouge}) of a summarization model on a JSONL split,
 * in each attention mode asked for, with samples/s and peak device memory, next to the trivial
 * baseline that answers with the first sentence of the input. Reports whether the modes produced
 * identical outputs (EL-attention is lossless, so they should). docs/eval.md.
 */
@Command(name = "eval", description = "ROUGE of a summarization model on a JSONL split, per attention mode, with"
        + " samples/s, peak device memory and the first-sentence baseline.")
final class EvalCommand implements Callable<Integer> {
    private static final Pattern FIRST_SENTENCE = Pattern.compile("^.*?[.!?](?=\\s|$)", Pattern.DOTALL);

    @Option(names = "--input", paramLabel = "FILE", required = true,
            description = "JSONL (gzip allowed), e.g. ../shared/data/debian-descriptions.jsonl.gz.")
    Path input;

    @Option(names = "--input-field", paramLabel = "NAME", defaultValue = "description",
            description = "Field with the text to summarize (default: ${DEFAULT-VALUE}).")
    String inputField;

    @Option(names = "--reference-field", paramLabel = "NAME", defaultValue = "synopsis",
            description = "Field with the reference summary (default: ${DEFAULT-VALUE}).")
    String referenceField;

    @Option(names = "--split", paramLabel = "NAME",
            description = "Only records whose \"split\" field is NAME (train, valid, test). Default: all.")
    String split;

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N records (after --split).")
    Integer limit;

    @Option(names = "--attention", paramLabel = "el,mha", defaultValue = "el,mha",
            description = "Modes to evaluate, comma-separated (default: ${DEFAULT-VALUE}).")
    String attention;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
    Path json;

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
        PrintWriter err = spec.commandLine().getErr();
        if (limit != null && limit < 1) {
            throw new ParameterException(spec.commandLine(), "--limit must be at least 1, not " + limit);
        }
        List<AttentionMode> modes = Modes.parseList(attention);
        if (limit != null && limit < 1) {
            throw new UsageException("--limit must be at least 1, not " + limit);
        }
        if (json != null) {
            checkWritable(json);
        }
        Path folder = model.folder(EmbeddedModels.BART);
        List<InputRecord> records = Inputs.fromJsonl(input, main.in,
                new Inputs.Fields(inputField, "id", referenceField, split));
        if (limit != null) {
            records = records.subList(0, Math.min(limit, records.size()));
        }
        Device device = deviceOptions.select();
        int total = records.size();
        List<ModeRun> runs = ModeRun.inEachMode(modes, folder, device, model, generation, records, session -> {
            session.requireEncoderDecoder(true, "eval", "bench");
            if (!session.hasTokenizer()) {
                throw new CliException(folder + " has no tokenizer (tokenizer.json): ROUGE compares texts");
            }
            return new Progress(err, main.terminal, "eval " + Modes.name(session.pipeline().mode()), total);
        });
        JsonObject result = new JsonObject();
        result.addProperty("model", model.model != null ? model.model.toString() : "embedded " + EmbeddedModels.BART);
        result.addProperty("input", input.toString());
        result.addProperty("split", split);
        result.addProperty("records", records.size());
        result.addProperty("device", device.id());
        out.printf("%d records of %s%s on %s (%s)%n", records.size(), input, split != null ? " (split " + split + ")" : "",
                device.id(), device.name());
        out.printf("%-9s %8s %8s %8s %10s %16s%n", "", "ROUGE-1", "ROUGE-2", "ROUGE-L", "samples/s", "peak device MiB");
        JsonObject byMode = new JsonObject();
        for (ModeRun run : runs) {
            Rouge.Accumulator acc = new Rouge.Accumulator();
            for (ModelSession.Output o : run.outputs()) {
                acc.add(Rouge.score(o.texts()[0], o.input().reference()));
            }
            out.printf("%-9s %8.2f %8.2f %8.2f %10.2f %16s%n", Modes.name(run.mode()), 100 * acc.rouge1(),
                    100 * acc.rouge2(), 100 * acc.rougeL(), run.recordsPerSecond(), ModeRun.mib(run.peakDeviceBytes()));
            JsonObject m = scores(acc);
            m.addProperty("samples_per_second", run.recordsPerSecond());
            m.addProperty("peak_device_bytes", run.peakDeviceBytes());
            m.addProperty("attention_cache_bytes", run.cacheBytes().total());
            byMode.add(Modes.name(run.mode()), m);
        }
        result.add("modes", byMode);
        Rouge.Accumulator baseline = new Rouge.Accumulator();
        for (InputRecord r : records) {
            baseline.add(Rouge.score(firstSentence(r.text() != null ? r.text() : ""), r.reference()));
        }
        out.printf("%-9s %8.2f %8.2f %8.2f   (first sentence of the input)%n", "baseline", 100 * baseline.rouge1(),
                100 * baseline.rouge2(), 100 * baseline.rougeL());
        result.add("baseline_first_sentence", scores(baseline));
        if (runs.size() > 1) {
            boolean same = runs.stream().allMatch(r -> r.sameOutputs(runs.get(0)));
            out.printf("outputs of %s identical: %s%n",
                    String.join(" and ", runs.stream().map(r -> Modes.name(r.mode())).toList()), same ? "yes" : "NO");
            result.addProperty("identical_outputs", same);
        }
        out.flush();
        if (json != null) {
            try {
                Files.writeString(json, new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(result)
                        + "\n");
            } catch (IOException e) {
                throw CliException.cannot("write", json, e);
            }
        }
        return 0;
    }

    /** Fails before the run, not after it, when {@code file} cannot be written (for bench's too). */
    static void checkWritable(Path file) {
        Path folder = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(folder)) {
            throw new CliException("--json " + file + ": no such folder " + folder);
        }
        if (Files.isDirectory(file)) {
            throw new CliException("--json " + file + " is a folder; give a file name");
        }
        if (Files.exists(file) ? !Files.isWritable(file) : !Files.isWritable(folder)) {
            throw new CliException("--json " + file + ": cannot write there (permission denied)");
        }
    }

    private static JsonObject scores(Rouge.Accumulator acc) {
        JsonObject o = new JsonObject();
        o.addProperty("rouge1", acc.rouge1());
        o.addProperty("rouge2", acc.rouge2());
        o.addProperty("rougeL", acc.rougeL());
        return o;
    }

    /**
     * The baseline's answer: the text up to the first '.', '!' or '?' followed by whitespace or the
     * end (so "e.g." inside a word and version numbers do not end it), else the first line.
     */
    static String firstSentence(String text) {
        Matcher m = FIRST_SENTENCE.matcher(text.strip());
        String first = m.find() ? m.group() : text.strip();
        int newline = first.indexOf('\n');
        return newline >= 0 ? first.substring(0, newline) : first;
    }
}
