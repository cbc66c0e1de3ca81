package elattn.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a generation job reads its inputs and writes its outputs. */
final class IoOptions {
    /** How output records are written. */
    enum Format { text, jsonl }

    @Option(names = "--input", paramLabel = "FILE",
            description = "JSONL inputs (gzip allowed; - = stdin): records with \"text\" (see --input-field) or "
                    + "\"input_ids\" (+ \"attention_mask\"), and an optional \"id\".")
    Path input;

    @Option(names = "--input-field", paramLabel = "NAME", defaultValue = "text",
            description = "The JSONL field holding the text (default: ${DEFAULT-VALUE}).")
    String inputField;

    @Option(names = "--id-field", paramLabel = "NAME",
            description = "The JSONL field holding the record id; every record must have it. Without this option: "
                    + "\"id\" where a record has one, else its line number.")
    String idField;

    @Option(names = "--allow-duplicate-ids", description = "Accept records with the same id (each generated and "
            + "written in input order) instead of refusing the input.")
    boolean allowDuplicateIds;

    @Option(names = "--output", paramLabel = "FILE", description = "Write the outputs to FILE instead of stdout (one"
            + " job at a time: FILE.lock names the job that writes it).")
    Path output;

    @Option(names = "--format", paramLabel = "text|jsonl",
            description = "text: one line per generated sequence; jsonl: one record per input with id, text and "
                    + "output_ids. Default: jsonl with --output, else text.")
    Format format;

    @Option(names = "--resume", description = "Continue an interrupted job: keep the records already in --output "
            + "and generate only the others.")
    boolean resume;

    @Option(names = "--overwrite", description = "Replace an existing --output file when the job ends well (until"
            + " then it stays as it was).")
    boolean overwrite;

    /** The JSONL fields of an input record: text, and the id (required when --id-field names it). */
    Inputs.Fields fields() {
        return new Inputs.Fields(inputField, idField != null ? idField : "id", idField != null, null, null);
    }

    /** Fails on options that exclude each other or need another. */
    void check() {
        if (resume && overwrite) {
            throw new UsageException("--resume and --overwrite exclude each other");
        }
        if ((resume || overwrite) && output == null) {
            throw new UsageException("--resume and --overwrite need --output FILE");
        }
        if (resume && format() != Format.jsonl) {
            throw new UsageException("--resume needs --format jsonl (a text output has no ids to resume from)");
        }
    }

    Format format() {
        return format != null ? format : output != null ? Format.jsonl : Format.text;
    }
}
