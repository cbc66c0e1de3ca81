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

    @Option(names = "--id-field", paramLabel = "NAME", defaultValue = "id",
            description = "The JSONL field holding the record id (default: ${DEFAULT-VALUE}; without it: the line number).")
    String idField;

    @Option(names = "--output", paramLabel = "FILE", description = "Write the outputs to FILE instead of stdout.")
    Path output;

    @Option(names = "--format", paramLabel = "text|jsonl",
            description = "text: one line per generated sequence; jsonl: one record per input with id, text and "
                    + "output_ids. Default: jsonl with --output, else text.")
    Format format;

    @Option(names = "--resume", description = "Continue an interrupted job: keep the records already in --output "
            + "and generate only the others.")
    boolean resume;

    @Option(names = "--overwrite", description = "Replace an existing --output file.")
    boolean overwrite;

    Format format() {
        return format != null ? format : output != null ? Format.jsonl : Format.text;
    }
}
