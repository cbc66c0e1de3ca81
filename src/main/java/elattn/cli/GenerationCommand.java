package elattn.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import elattn.model.device.AttentionMode;
import elattn.runtime.Device;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What {@code summarize} and {@code generate} share: read inputs, open the model, check the
 * job, generate in batches and write each finished record at once: to stdout, stopping when stdout
 * takes no more, or to an {@link OutputFile} that no failure empties and a JSONL output can be
 * resumed from. A JSONL input shows progress on stderr.
 */
abstract class GenerationCommand implements Callable<Integer> {
    @Parameters(paramLabel = "TEXT", arity = "0..*",
            description = "Input texts, one per argument. Without any and without --input: all of stdin is one text.")
    List<String> texts = new ArrayList<>();

    @Mixin
    ModelOptions model;

    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = "--attention", paramLabel = "el|mha", defaultValue = "el",
            description = "Decoder attention: el (EL-attention, default) or mha (standard multi-head).")
    String attention;

    @Mixin
    GenerationOptions generation;

    @Mixin
    IoOptions io;

    @ParentCommand
    Main main;

    @Spec
    CommandSpec spec;

    /** The embedded model used without --model. */
    abstract String defaultModel();

    /** Checks that the opened model suits the command. */
    abstract void checkModel(ModelSession session);

    @Override
    public Integer call() {
        io.check();
        AttentionMode mode = Modes.parseOne(attention);
        Path folder = model.folder(defaultModel());
        List<InputRecord> records = readInputs();
        Device device = deviceOptions.select();
        if (io.output == null) {
            PrintWriter out = spec.commandLine().getOut();
            generate(folder, records, device, mode, () -> { }, lines -> {
                out.print(lines);
                if (out.checkError()) {
                    throw new StdoutFailure();
                }
            });
            return 0;
        }
        try (OutputFile output = OutputFile.open(io.output, io.format(), io.resume, io.overwrite,
                OutputLock.holder(main.args))) {
            generate(folder, output.remaining(records), device, mode, () -> {
                String note = output.start();
                if (note != null) {
                    spec.commandLine().getErr().println("elattn: resuming " + io.output + ": " + note);
                }
            }, output::write);
            output.commit();
        }
        return 0;
    }

    /**
     * Opens the model in {@code folder}, checks the job ({@link #check}), and only then
     * {@code start}s the output and writes each record's lines to {@code write} as soon as its batch
     * is done.
     */
    private void generate(Path folder, List<InputRecord> records, Device device, AttentionMode mode, Runnable start,
            Consumer<String> write) {
        try (ModelSession session = ModelSession.open(folder, device, mode, model, generation, model.truncate)) {
            List<int[][]> encoded = check(session, records);
            start.run();
            PrintWriter err = spec.commandLine().getErr();
            Progress progress = io.input != null ? new Progress(err, main.terminal, spec.name(), records.size()) : null;
            session.generate(records, encoded, model.batchSize(device), outputs -> {
                outputs.forEach(o -> write.accept(lines(o)));
                if (progress != null) {
                    progress.advance(outputs.size());
                }
            });
            if (progress != null) {
                progress.finish();
            }
        }
    }

    /**
     * Every check of the job that needs the opened model, made before its output is touched (a
     * failure here leaves an earlier output as it was); returns the records' token ids.
     */
    private List<int[][]> check(ModelSession session, List<InputRecord> records) {
        checkModel(session);
        return session.encodeAll(records);
    }

    private List<InputRecord> readInputs() {
        if (io.input == null) {
            return texts.isEmpty() ? Inputs.fromStdin(main.in) : Inputs.fromArguments(texts);
        }
        if (!texts.isEmpty()) {
            throw new UsageException("give the inputs either as arguments or with --input, not both");
        }
        List<InputRecord> records = Inputs.fromJsonl(io.input, main.in, io.fields());
        if (!io.allowDuplicateIds) {
            Inputs.requireUniqueIds(records);
        }
        return records;
    }

    /** The JSONL record of one output: id, text (best sequence), texts (all, when several), output_ids. */
    static JsonObject record(ModelSession.Output o) {
        JsonObject r = new JsonObject();
        r.add("id", o.input().id());
        if (o.texts() != null) {
            r.addProperty("text", o.texts()[0]);
            if (o.texts().length > 1) {
                JsonArray all = new JsonArray();
                for (String t : o.texts()) {
                    all.add(t);
                }
                r.add("texts", all);
            }
        }
        JsonArray ids = new JsonArray();
        for (int[] seq : o.outputIds()) {
            JsonArray a = new JsonArray();
            for (int t : seq) {
                a.add(t);
            }
            ids.add(a);
        }
        r.add("output_ids", ids);
        return r;
    }

    /** One output's lines: its JSONL record, or (text) each sequence on a line of its own. */
    private String lines(ModelSession.Output o) {
        if (io.format() == IoOptions.Format.jsonl) {
            return record(o) + "\n";
        }
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < o.outputIds().length; k++) {
            b.append(o.texts() != null ? oneLine(o.texts()[k].strip())
                    : String.join(" ", Arrays.stream(o.outputIds()[k]).mapToObj(Integer::toString).toList()));
            b.append('\n');
        }
        return b.toString();
    }

    /** {@code text} on one line: a backslash, newline and carriage return written as {@code \\}, {@code \n}, {@code \r}. */
    private static String oneLine(String text) {
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
    }
}
