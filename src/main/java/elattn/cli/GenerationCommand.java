package elattn.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import elattn.model.device.AttentionMode;
import elattn.runtime.Device;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What {@code summarize} and {@code generate} share: read inputs, open the model, generate in
 * batches and write each finished record at once. A JSONL output can be resumed
 * ({@link JsonlOutput}); a JSONL input shows progress on stderr.
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
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (io.resume && io.overwrite) {
            throw new UsageException("--resume and --overwrite exclude each other");
        }
        if ((io.resume || io.overwrite) && io.output == null) {
            throw new UsageException("--resume and --overwrite need --output FILE");
        }
        if (io.resume && io.format() != IoOptions.Format.jsonl) {
            throw new UsageException("--resume needs --format jsonl (a text output has no ids to resume from)");
        }
        List<InputRecord> records = readInputs();
        AttentionMode mode = Modes.parseOne(attention);
        Device device = deviceOptions.select();
        try (ModelSession session = ModelSession.open(model.folder(defaultModel()), device, mode, model, generation,
                model.truncate)) {
            checkModel(session);
            if (io.format() == IoOptions.Format.jsonl && io.output != null) {
                try (JsonlOutput sink = JsonlOutput.open(io.output, io.resume, io.overwrite)) {
                    Set<String> done = sink.done();
                    if (sink.note() != null) {
                        err.println("elattn: resuming " + io.output + ": " + sink.note());
                    }
                    List<InputRecord> remaining = records.stream().filter(r -> !done.contains(r.key())).toList();
                    run(session, remaining, err, outputs -> outputs.forEach(o -> sink.write(record(o))));
                }
            } else {
                try (PrintWriter w = io.output != null ? fileWriter() : null) {
                    PrintWriter target = w != null ? w : out;
                    run(session, records, err, outputs -> {
                        outputs.forEach(o -> print(target, o));
                        target.flush();
                    });
                }
            }
        }
        return 0;
    }

    private PrintWriter fileWriter() {
        if (!io.overwrite && Files.exists(io.output)) {
            throw new CliException(io.output + " exists; pass --overwrite to replace it");
        }
        try {
            BufferedWriter w = Files.newBufferedWriter(io.output, StandardCharsets.UTF_8);
            return new PrintWriter(w);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + io.output + ": " + e.getMessage(), e);
        }
    }

    private void run(ModelSession session, List<InputRecord> records, PrintWriter err,
            java.util.function.Consumer<List<ModelSession.Output>> sink) {
        Progress progress = io.input != null ? new Progress(err, main.terminal, spec.name(), records.size()) : null;
        session.generate(records, model.batchSize, outputs -> {
            sink.accept(outputs);
            if (progress != null) {
                progress.advance(outputs.size());
            }
        });
        if (progress != null) {
            progress.finish();
        }
    }

    private List<InputRecord> readInputs() {
        if (io.input != null) {
            if (!texts.isEmpty()) {
                throw new UsageException("give the inputs either as arguments or with --input, not both");
            }
            return Inputs.fromJsonl(io.input, main.in, new Inputs.Fields(io.inputField, io.idField, null, null));
        }
        return texts.isEmpty() ? Inputs.fromStdin(main.in) : Inputs.fromArguments(texts);
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

    private void print(PrintWriter w, ModelSession.Output o) {
        if (io.format() == IoOptions.Format.jsonl) {
            w.println(record(o));
            return;
        }
        for (int k = 0; k < o.outputIds().length; k++) {
            if (o.texts() != null) {
                w.println(o.texts()[k].strip());
            } else {
                w.println(String.join(" ", java.util.Arrays.stream(o.outputIds()[k]).mapToObj(Integer::toString).toList()));
            }
        }
    }
}
