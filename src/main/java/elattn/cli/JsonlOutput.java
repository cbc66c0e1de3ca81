package elattn.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * A JSONL output file that a job can be resumed into. Each record is one line written with a
 * single {@code write} of the whole line and its newline, so a killed job leaves complete lines
 * plus at most one torn last line (no newline). Opening with resume reads the ids of the complete
 * lines and cuts a torn line off; the job then skips those ids and appends the rest, so no record
 * is lost or written twice.
 */
final class JsonlOutput implements AutoCloseable {
    private final FileChannel channel;
    private final Set<String> done;
    private final String note;

    private JsonlOutput(FileChannel channel, Set<String> done, String note) {
        this.channel = channel;
        this.done = done;
        this.note = note;
    }

    /**
     * Opens {@code file}. An existing non-empty file needs {@code resume} (keep its records) or
     * {@code overwrite} (start over); without either it is an error, so a finished result is never
     * clobbered by accident.
     */
    static JsonlOutput open(Path file, boolean resume, boolean overwrite) {
        try {
            boolean exists = Files.exists(file) && Files.size(file) > 0;
            if (exists && !resume && !overwrite) {
                throw new CliException(file + " exists; pass --resume to skip the records it holds, or --overwrite"
                        + " to start over");
            }
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            try {
                if (!exists || overwrite) {
                    ch.truncate(0);
                    return new JsonlOutput(ch, Set.of(), null);
                }
                return recover(file, ch);
            } catch (RuntimeException | IOException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            throw new CliException(file + ": cannot write: " + e.getMessage());
        }
    }

    /** Reads the ids of the complete lines, cuts a torn last line, and positions at the end. */
    private static JsonlOutput recover(Path file, FileChannel ch) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Set<String> ids = new HashSet<>();
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
                }
                start = i + 1;
            }
        }
        String note = ids.size() + " records done";
        if (start < bytes.length) {
            ch.truncate(start);
            note += "; removed a torn last line (" + (bytes.length - start) + " bytes) left by an interrupted run";
        }
        ch.position(start);
        return new JsonlOutput(ch, ids, note);
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

    /** Ids (as {@link InputRecord#key()}) of the records already in the file. */
    Set<String> done() {
        return done;
    }

    /** What recovery found, for the job's first stderr line; null when the file was new. */
    String note() {
        return note;
    }

    /** Appends one record as one line, written whole. */
    void write(JsonObject record) {
        ByteBuffer line = ByteBuffer.wrap((record + "\n").getBytes(StandardCharsets.UTF_8));
        try {
            while (line.hasRemaining()) {
                channel.write(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the output: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
