package elattn.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSON object of a file, read field by field with the types the loader needs. A field that is
 * missing or of the wrong type is an error that names the file, the field's JSON path
 * ({@code model.merges[3]}) and the value found, instead of the Gson exception a bare
 * {@code getAsString()} would throw. Absent and {@code null} fields are the same, as HF's readers
 * treat them.
 *
 * @param json    the object
 * @param file    the file it came from
 * @param path    its JSON path in the file ("" for the whole file)
 * @param problem the exception type of the loader
 */
public record JsonFields(JsonObject json, Path file, String path, FileProblem problem) {
    /** The top-level object of {@code file}. */
    public static JsonFields of(JsonObject json, Path file, FileProblem problem) {
        return new JsonFields(json, file, "", problem);
    }

    /** The JSON path of a field of this object. */
    public String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** Whether {@code key} is present and not null. */
    public boolean has(String key) {
        return get(key) != null;
    }

    /** The value of {@code key}, or null when it is absent or null. */
    public JsonElement get(String key) {
        JsonElement e = json.get(key);
        return e == null || e.isJsonNull() ? null : e;
    }

    /** An error in this object's file: {@code what} is wrong (a clause naming the field). */
    public RuntimeException error(String what) {
        return problem.at(file, what);
    }

    /** An error saying that {@code value} at {@code where} is not {@code expected}. */
    public RuntimeException wrongType(String where, String expected, JsonElement value) {
        return problem.at(file, where + " must be " + expected + ", not " + JsonFile.brief(value)
                + "; " + JsonFile.REPAIR);
    }

    private JsonElement required(String key) {
        JsonElement e = get(key);
        if (e == null) {
            throw problem.at(file, "has no " + pathOf(key) + "; " + JsonFile.REPAIR);
        }
        return e;
    }

    /** A required string. */
    public String string(String key) {
        return string(required(key), pathOf(key));
    }

    /** A string, or {@code absent}. */
    public String string(String key, String absent) {
        JsonElement e = get(key);
        return e == null ? absent : string(e, pathOf(key));
    }

    /** {@code e}, found at {@code where}, as a string. */
    public String string(JsonElement e, String where) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw wrongType(where, "a string", e);
        }
        return e.getAsString();
    }

    /** A boolean, or {@code absent}. */
    public boolean bool(String key, boolean absent) {
        JsonElement e = get(key);
        if (e == null) {
            return absent;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw wrongType(pathOf(key), "true or false", e);
        }
        return e.getAsBoolean();
    }

    /** A number, or {@code absent}. */
    public double number(String key, double absent) {
        JsonElement e = get(key);
        if (e == null) {
            return absent;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw wrongType(pathOf(key), "a number", e);
        }
        return e.getAsDouble();
    }

    /** {@code e}, found at {@code where}, as an integer in [{@code min}, {@code max}]. */
    public long integer(JsonElement e, String where, long min, long max) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw wrongType(where, "an integer", e);
        }
        BigDecimal v;
        try {
            v = e.getAsBigDecimal();
        } catch (NumberFormatException x) {
            throw wrongType(where, "an integer", e);
        }
        if (v.stripTrailingZeros().scale() > 0) {
            throw wrongType(where, "an integer", e);
        }
        if (v.compareTo(BigDecimal.valueOf(min)) < 0 || v.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw problem.at(file, where + " is " + JsonFile.brief(e) + "; it must be between " + min + " and " + max
                    + "; " + JsonFile.REPAIR);
        }
        return v.longValueExact();
    }

    /** A required object. */
    public JsonFields object(String key) {
        return object(required(key), pathOf(key));
    }

    /** {@code e}, found at {@code where}, as an object. */
    public JsonFields object(JsonElement e, String where) {
        if (e == null || !e.isJsonObject()) {
            throw wrongType(where, "an object", e);
        }
        return new JsonFields(e.getAsJsonObject(), file, where, problem);
    }

    /** A required array. */
    public List<JsonElement> array(String key) {
        return array(required(key), pathOf(key));
    }

    /** {@code e}, found at {@code where}, as an array. */
    public List<JsonElement> array(JsonElement e, String where) {
        if (e == null || !e.isJsonArray()) {
            throw wrongType(where, "a list", e);
        }
        List<JsonElement> out = new ArrayList<>();
        ((JsonArray) e).forEach(out::add);
        return out;
    }
}
