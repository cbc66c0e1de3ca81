package elattn.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSONL output as an earlier run of a job left it, read to resume the job. A job writes each
 * record as one whole line, in input order, so a killed job leaves the outputs of the input's
 * first records and at most one torn last line (no newline): the job goes on after those records,
 * appending once the torn line is cut off, and no record is lost or written twice. Only the
 * output of this very input can be resumed, which {@link #remaining} checks.
 *
 * @param file          the output
 * @param ids           the ids ({@link InputRecord#key()}) of the complete records, in file order
 * @param lines         the line number of each of those records
 * @param completeBytes the length of the file without its torn last line
 * @param tornBytes     the length of the torn last line, 0 if none
 */
record JsonlOutput(Path file, List<String> ids, List<Integer> lines, long completeBytes, long tornBytes) {
    /** Reads {@code file}; every complete line must be a record elattn wrote (a JSON object with an id). */
    static JsonlOutput read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw CliException.cannot("read", file, e);
        }
        List<String> ids = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        int start = 0;
        int line = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                line++;
                String text = new String(bytes, start, i - start, StandardCharsets.UTF_8);
                if (!text.isBlank()) {
                    String id = idOf(text);
                    if (id == null) {
                        throw new CliException(file + " line " + line + " is not a record elattn wrote (no JSON"
                                + " object with an id); remove the line or pass --overwrite");
                    }
                    ids.add(id);
                    lines.add(line);
                }
                start = i + 1;
            }
        }
        return new JsonlOutput(file, List.copyOf(ids), List.copyOf(lines), start, bytes.length - start);
    }

    private static String idOf(String line) {
        try {
            JsonElement e = JsonParser.parseString(line);
            if (e.isJsonObject() && e.getAsJsonObject().has("id")) {
                return e.getAsJsonObject().get("id").toString();
            }
        } catch (JsonParseException e) {
            // not a record
        }
        return null;
    }

    /**
     * The records of {@code input} still to do: those after the ones in the file, which must be the
     * input's first records with the same ids in the same order; otherwise the file is the output
     * of another input (or of this one reordered) and resuming would mix the two.
     */
    List<InputRecord> remaining(List<InputRecord> input) {
        String another = "; it is the output of another input: choose another --output, or pass --overwrite to start over";
        if (ids.size() > input.size()) {
            throw new CliException(file + " holds " + ids.size() + " records but the input has only " + input.size()
                    + another);
        }
        for (int i = 0; i < ids.size(); i++) {
            InputRecord r = input.get(i);
            if (!ids.get(i).equals(r.key())) {
                throw new CliException(file + " line " + lines.get(i) + " has id " + ids.get(i) + " where the input's"
                        + " record " + (i + 1) + " (" + r.where() + ") has id " + r.key() + another);
            }
        }
        return input.subList(ids.size(), input.size());
    }

    /** What resuming found, for the job's first stderr line. */
    String note() {
        String note = ids.size() + " records done";
        return tornBytes == 0 ? note
                : note + "; removed a torn last line (" + tornBytes + " bytes) left by an interrupted run";
    }
}
