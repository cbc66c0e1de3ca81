package elattn.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonIOException;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads the JSON files of a checkpoint folder (config.json, generation_config.json, tokenizer files,
 * a shard index, a safetensors header) into a {@link JsonObject}, with one-line errors that name
 * the file and say what is wrong: not found, not a regular file, not UTF-8, not JSON (with Gson's
 * position, without its exception names and troubleshooting link), not an object. Gson itself
 * refuses nesting deeper than 255 levels, so a hostile file cannot overflow the stack.
 */
public final class JsonFile {
    /** What to do about a file that is not what it should be. */
    public static final String REPAIR = "repair or re-download the file";

    private JsonFile() {
    }

    /** The object {@code file} holds; any problem is thrown as {@code problem}. */
    public static JsonObject readObject(Path file, FileProblem problem) {
        RegularFile.require(file, problem);
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parseObject(r, file, problem);
        } catch (NoSuchFileException e) {
            throw problem.at(file, "file not found");
        } catch (IOException e) {
            throw problem.at(file, cannotRead(e));
        }
    }

    /** The object {@code text} (read from {@code file}) holds. */
    public static JsonObject parseObject(String text, Path file, FileProblem problem) {
        return parseObject(new StringReader(text), file, problem);
    }

    private static JsonObject parseObject(Reader r, Path file, FileProblem problem) {
        JsonElement e;
        try {
            e = JsonParser.parseReader(r);
        } catch (JsonIOException x) {
            throw problem.at(file, cannotRead(x.getCause() instanceof IOException io ? io : new IOException(x.getMessage())));
        } catch (JsonParseException x) {
            throw problem.at(file, "not valid JSON (" + syntaxError(x) + "); " + REPAIR);
        }
        if (!e.isJsonObject()) {
            throw problem.at(file, e.isJsonNull() ? "is empty where a JSON object belongs; " + REPAIR
                    : "holds " + brief(e) + " where a JSON object belongs; " + REPAIR);
        }
        return e.getAsJsonObject();
    }

    /** What went wrong reading a file, as a clause: the reason without Java's exception names. */
    public static String cannotRead(IOException e) {
        if (e instanceof CharacterCodingException) {
            return "is not UTF-8 text (a damaged or binary file); " + REPAIR;
        }
        if (e instanceof AccessDeniedException) {
            return "cannot read: permission denied";
        }
        String m = e.getMessage();
        return "cannot read: " + (m == null || m.isBlank() ? "an input/output error" : OneLine.of(m));
    }

    /**
     * Gson's description of a syntax error, e.g. {@code Unterminated object at line 1 column 25 path
     * $.model}, on one line without the link Gson adds, and with a long JSON path cut short.
     */
    public static String syntaxError(JsonParseException e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? "" : root.getMessage().lines().findFirst().orElse("");
        m = m.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "unexpected text")
                .replace("End of input", "unexpected end");
        int path = m.indexOf(" path $");
        if (path >= 0 && m.length() > path + OneLine.QUOTE_CHARS) {
            m = m.substring(0, path + OneLine.QUOTE_CHARS) + "...";
        }
        return m.isBlank() ? "malformed JSON" : OneLine.of(m);
    }

    /** A JSON value for a message: as JSON writes it (control characters escaped), long ones cut short. */
    public static String brief(JsonElement value) {
        return OneLine.cut(String.valueOf(value));
    }
}
