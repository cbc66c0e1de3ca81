package elattn.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import elattn.io.JsonFile;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads a job's inputs: texts given as arguments, all of stdin as one text, or a JSONL file
 * (gzip-compressed or not; {@code -} is stdin) of records with a text field or {@code input_ids}.
 * Every problem is a {@link CliException} naming the line.
 */
final class Inputs {
    /**
     * Which fields of a JSONL record hold what.
     *
     * @param idRequired whether every record must have {@code id}; else a record without it has its line number
     */
    record Fields(String input, String id, boolean idRequired, String reference, String split) {
        /** Fields whose id is optional. */
        Fields(String input, String id, String reference, String split) {
            this(input, id, false, reference, split);
        }
    }

    private Inputs() {
    }

    /** Each argument is one input text. */
    static List<InputRecord> fromArguments(List<String> texts) {
        List<InputRecord> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String where = "argument " + (i + 1);
            out.add(new InputRecord(new JsonPrimitive(i + 1), nonEmpty(texts.get(i), where), null, null, null, where));
        }
        return out;
    }

    /** All of {@code in} is one input text. */
    static List<InputRecord> fromStdin(InputStream in) {
        String text;
        try {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin: " + e.getMessage(), e);
        }
        if (text.isBlank()) {
            throw new CliException("empty input: give the text as an argument, on stdin, or --input FILE.jsonl");
        }
        return List.of(new InputRecord(new JsonPrimitive(1), text.strip(), null, null, null, "stdin"));
    }

    /** The records of a JSONL file ({@code -}: stdin), gzip when it starts with gzip's magic bytes. */
    static List<InputRecord> fromJsonl(Path file, InputStream stdin, Fields fields) {
        boolean isStdin = file.toString().equals("-");
        String name = isStdin ? "stdin" : file.toString();
        List<InputRecord> out = new ArrayList<>();
        try (BufferedReader r = reader(isStdin ? stdin : Files.newInputStream(file))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (!line.isBlank()) {
                    InputRecord rec = parse(line, name + " line " + n, n, fields);
                    if (rec != null) {
                        out.add(rec);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            throw new CliException(name + ": no such file");
        } catch (EOFException | ZipException e) {
            throw new CliException(name + ": damaged or truncated gzip data (" + (e.getMessage() == null ? "it ends early"
                    : e.getMessage()) + "); compress the file again or fetch a whole copy");
        } catch (IOException e) {
            throw new CliException(name + ": " + JsonFile.cannotRead(e));
        }
        if (out.isEmpty()) {
            throw new CliException("empty input: " + name + " has no records"
                    + (fields.split() != null ? " with split " + fields.split() : ""));
        }
        return out;
    }

    private static BufferedReader reader(InputStream raw) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        InputStream data = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(in, 1 << 16) : in;
        return new BufferedReader(new InputStreamReader(data, StandardCharsets.UTF_8), 1 << 16);
    }

    /** One record, or null when {@code fields.split} filters it out. */
    private static InputRecord parse(String line, String where, int lineNumber, Fields fields) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(line);
            if (!e.isJsonObject()) {
                throw new CliException(where + ": not a JSON object");
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new CliException(where + ": not valid JSON (" + JsonFile.syntaxError(e) + ")");
        }
        if (fields.split() != null) {
            JsonElement s = o.get("split");
            if (s == null || !s.isJsonPrimitive() || !s.getAsString().equals(fields.split())) {
                return null;
            }
        }
        JsonElement given = o.get(fields.id());
        boolean hasId = given != null && !given.isJsonNull();
        if (!hasId && fields.idRequired()) {
            throw new CliException(where + ": no \"" + fields.id() + "\" field (the record's id; see --id-field)");
        }
        JsonElement id = hasId ? given : new JsonPrimitive(lineNumber);
        String reference = null;
        if (fields.reference() != null) {
            reference = string(o, fields.reference(), where);
            if (reference == null) {
                throw new CliException(where + ": no \"" + fields.reference() + "\" field (the reference; see --reference-field)");
            }
        }
        if (o.has("input_ids")) {
            int[] ids = ints(o.get("input_ids"), "input_ids", where);
            if (ids.length == 0) {
                throw new CliException("empty input: " + where + " has an empty input_ids list");
            }
            int[] mask = o.has("attention_mask") ? ints(o.get("attention_mask"), "attention_mask", where) : null;
            if (mask != null) {
                checkMask(mask, ids.length, where);
            }
            return new InputRecord(id, null, ids, mask, reference, where);
        }
        String text = string(o, fields.input(), where);
        if (text == null) {
            throw new CliException(where + ": no \"" + fields.input() + "\" field and no \"input_ids\" (see --input-field)");
        }
        return new InputRecord(id, nonEmpty(text, where), null, null, reference, where);
    }

    /** A mask is 1 for each token to attend to and 0 for padding, with at least one token. */
    private static void checkMask(int[] mask, int tokens, String where) {
        if (mask.length != tokens) {
            throw new CliException(where + ": attention_mask has " + mask.length + " entries but input_ids " + tokens);
        }
        boolean any = false;
        for (int i = 0; i < mask.length; i++) {
            if (mask[i] > 1) {
                throw new CliException(where + ": attention_mask[" + i + "] is " + mask[i]
                        + "; a mask holds 1 (a token to attend to) or 0 (padding)");
            }
            any |= mask[i] == 1;
        }
        if (!any) {
            throw new CliException(where + ": attention_mask is all 0, so no token of the input would be attended to;"
                    + " give 1 for its tokens");
        }
    }

    /** Fails on the second record with an id an earlier record has: its output would be taken for the other's. */
    static void requireUniqueIds(List<InputRecord> records) {
        Map<String, InputRecord> seen = new HashMap<>();
        for (InputRecord r : records) {
            InputRecord first = seen.putIfAbsent(r.key(), r);
            if (first != null) {
                throw new CliException(r.where() + ": id " + r.key() + " is also the id of " + first.where()
                        + "; make the ids unique, or pass --allow-duplicate-ids to generate both");
            }
        }
    }

    private static String string(JsonObject o, String field, String where) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new CliException(where + ": \"" + field + "\" must be a string");
        }
        return e.getAsString();
    }

    private static int[] ints(JsonElement e, String field, String where) {
        if (!e.isJsonArray()) {
            throw new CliException(where + ": " + field + " must be a list of integers");
        }
        JsonArray a = e.getAsJsonArray();
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement x = a.get(i);
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber() || x.getAsDouble() != Math.rint(x.getAsDouble())
                    || x.getAsDouble() < 0 || x.getAsDouble() > Integer.MAX_VALUE) {
                throw new CliException(where + ": " + field + "[" + i + "] is " + JsonFile.brief(x) + ", not a non-negative integer");
            }
            out[i] = x.getAsInt();
        }
        return out;
    }

    private static String nonEmpty(String text, String where) {
        if (text.isBlank()) {
            throw new CliException("empty input: " + where + " is empty");
        }
        return text;
    }
}
