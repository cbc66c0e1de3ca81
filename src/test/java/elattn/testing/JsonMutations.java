package elattn.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Structure-aware mutations of a valid JSON document for the fuzz tests: keys removed or added,
 * values of the wrong type, huge, negative or fractional numbers, strings with line breaks, deep
 * nesting, then sometimes damage to the text itself (cut short, a stray character, bytes that are
 * not UTF-8). Each mutant says what was done to it, so a failing case can be made again by hand.
 */
public final class JsonMutations {
    /** A mutated document and what was done to make it. */
    public record Mutant(String description, byte[] bytes) {
        public String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** Values loaders must refuse or accept, never crash on. */
    private static final List<JsonElement> ODD_VALUES = List.of(JsonNull.INSTANCE, new JsonPrimitive(true),
            new JsonPrimitive(false), new JsonPrimitive(""), new JsonPrimitive("text"), new JsonPrimitive("two\nlines"),
            new JsonPrimitive("\u0000\u2028\r"), new JsonPrimitive(-1), new JsonPrimitive(0), new JsonPrimitive(1),
            new JsonPrimitive(7), new JsonPrimitive(Integer.MAX_VALUE), new JsonPrimitive(1L << 31),
            new JsonPrimitive(-(1L << 31) - 1), new JsonPrimitive(Long.MAX_VALUE), new JsonPrimitive(Long.MIN_VALUE),
            new JsonPrimitive(BigInteger.TWO.pow(64)), new JsonPrimitive(1e308), new JsonPrimitive(1.5),
            new JsonPrimitive(-0.5), new JsonPrimitive(1e-320), new JsonPrimitive("12"), new JsonPrimitive("F32"),
            new JsonArray(), new JsonObject(), parse("[1,2,3]"), parse("[[]]"), parse("[\"a\",1]"),
            parse("{\"type\":\"x\"}"), parse("[-1,0]"), parse("[4294967296, 4294967296]"),
            parse("[9223372036854775807, 9223372036854775807]"));

    /** Containers longer than this are vocabularies or lists: {@link #FEW} of their entries are candidates. */
    private static final int LONG = 32;
    private static final int FEW = 4;
    /** Characters that change what JSON text means when one is put in the wrong place. */
    private static final String STRAY = "{}[],:\"\\ 0-e";

    private JsonMutations() {
    }

    private static JsonElement parse(String json) {
        return JsonParser.parseString(json);
    }

    /** One to three changes to the tree of {@code doc}, then, one time in four, damage to its text. */
    public static Mutant mutate(JsonObject doc, SplittableRandom r) {
        JsonObject copy = doc.deepCopy();
        List<String> done = new ArrayList<>();
        int changes = 1 + r.nextInt(3);
        for (int i = 0; i < changes; i++) {
            done.add(changeTree(copy, r));
        }
        byte[] bytes = copy.toString().getBytes(StandardCharsets.UTF_8);
        if (r.nextInt(4) == 0) {
            Mutant damaged = damageText(bytes, r);
            done.add(damaged.description());
            bytes = damaged.bytes();
        }
        return new Mutant(String.join("; ", done), bytes);
    }

    /** A value of the kind loaders see least: odd scalars, deep nesting, huge arrays. */
    public static JsonElement oddValue(SplittableRandom r) {
        return switch (r.nextInt(12)) {
            case 0 -> nested(100 + r.nextInt(400));
            case 1 -> {
                JsonArray big = new JsonArray();
                for (int i = 0; i < 5000; i++) {
                    big.add(i);
                }
                yield big;
            }
            default -> ODD_VALUES.get(r.nextInt(ODD_VALUES.size())).deepCopy();
        };
    }

    private static JsonElement nested(int depth) {
        JsonElement e = new JsonArray();
        for (int i = 0; i < depth; i++) {
            JsonArray outer = new JsonArray();
            outer.add(e);
            e = outer;
        }
        return e;
    }

    /** One change at a random place of the tree; returns what it did. */
    private static String changeTree(JsonObject root, SplittableRandom r) {
        List<Place> places = new ArrayList<>();
        collect(root, "$", places, r);
        if (places.isEmpty()) {
            root.add("unexpected", oddValue(r));
            return "added $.unexpected";
        }
        Place p = places.get(r.nextInt(places.size()));
        JsonElement old = p.get();
        switch (r.nextInt(7)) {
            case 0 -> {
                p.remove();
                return "removed " + p.path();
            }
            case 1, 2 -> {
                JsonElement v = old.isJsonPrimitive() && old.getAsJsonPrimitive().isNumber() && r.nextBoolean()
                        ? numberNear(old.getAsJsonPrimitive(), r) : oddValue(r);
                p.set(v);
                return "set " + p.path() + " to " + brief(v);
            }
            case 3 -> {
                JsonArray wrapped = new JsonArray();
                wrapped.add(old);
                p.set(wrapped);
                return "wrapped " + p.path() + " in a list";
            }
            case 4 -> {
                if (old.isJsonObject()) {
                    JsonElement v = oddValue(r);
                    old.getAsJsonObject().add("unexpected", v);
                    return "added " + p.path() + ".unexpected = " + brief(v);
                }
                p.set(new JsonPrimitive(old.toString()));
                return "set " + p.path() + " to its own text as a string";
            }
            case 5 -> {
                if (old.isJsonArray() && !old.getAsJsonArray().isEmpty()) {
                    JsonArray a = old.getAsJsonArray();
                    a.add(a.get(r.nextInt(a.size())).deepCopy());
                    return "repeated an element of " + p.path();
                }
                p.set(JsonNull.INSTANCE);
                return "set " + p.path() + " to null";
            }
            default -> {
                Place other = places.get(r.nextInt(places.size()));
                JsonElement v = other.get().deepCopy();
                p.set(v);
                return "set " + p.path() + " to the value of " + other.path();
            }
        }
    }

    private static JsonPrimitive numberNear(JsonPrimitive n, SplittableRandom r) {
        long v = n.getAsLong();
        return switch (r.nextInt(6)) {
            case 0 -> new JsonPrimitive(v + 1);
            case 1 -> new JsonPrimitive(v - 1);
            case 2 -> new JsonPrimitive(-v);
            case 3 -> new JsonPrimitive(v * (1L << (1 + r.nextInt(40))));
            case 4 -> new JsonPrimitive(v + 0.5);
            default -> new JsonPrimitive(0);
        };
    }

    /** A short form of a value for case descriptions. */
    private static String brief(JsonElement v) {
        String s = v.toString();
        return s.length() > 40 ? s.substring(0, 40) + "...(" + s.length() + " chars)" : s;
    }

    /** Damage to the text: cut short, a byte changed, inserted or removed, a BOM, trailing garbage. */
    public static Mutant damageText(byte[] bytes, SplittableRandom r) {
        int at = bytes.length == 0 ? 0 : r.nextInt(bytes.length);
        return switch (r.nextInt(7)) {
            case 0 -> new Mutant("cut to " + at + " bytes", Arrays.copyOf(bytes, at));
            case 1 -> {
                byte[] b = bytes.clone();
                if (b.length > 0) {
                    b[at] = (byte) (0x80 | r.nextInt(0x80));
                }
                yield new Mutant("byte " + at + " set to a byte that is not UTF-8 here", b);
            }
            case 2 -> {
                byte c = (byte) STRAY.charAt(r.nextInt(STRAY.length()));
                yield new Mutant("inserted '" + (char) c + "' at byte " + at, insert(bytes, at, new byte[] {c}));
            }
            case 3 -> new Mutant("removed byte " + at, remove(bytes, at));
            case 4 -> new Mutant("a byte-order mark in front", insert(bytes, 0, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}));
            case 5 -> new Mutant("garbage after the end", insert(bytes, bytes.length, "}]x".getBytes(StandardCharsets.UTF_8)));
            default -> {
                String deep = "[".repeat(100 + r.nextInt(5000));
                yield new Mutant("a document of " + deep.length() + " open brackets",
                        deep.getBytes(StandardCharsets.UTF_8));
            }
        };
    }

    /** Random bytes, at most {@code maxLength}, half of the time in the printable range JSON is written in. */
    public static byte[] randomBytes(SplittableRandom r, int maxLength) {
        byte[] b = new byte[r.nextInt(maxLength + 1)];
        boolean printable = r.nextBoolean();
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (printable ? 32 + r.nextInt(95) : r.nextInt(256));
        }
        return b;
    }

    private static byte[] insert(byte[] bytes, int at, byte[] what) {
        byte[] b = new byte[bytes.length + what.length];
        System.arraycopy(bytes, 0, b, 0, at);
        System.arraycopy(what, 0, b, at, what.length);
        System.arraycopy(bytes, at, b, at + what.length, bytes.length - at);
        return b;
    }

    private static byte[] remove(byte[] bytes, int at) {
        if (bytes.length == 0) {
            return bytes;
        }
        byte[] b = new byte[bytes.length - 1];
        System.arraycopy(bytes, 0, b, 0, at);
        System.arraycopy(bytes, at + 1, b, at, bytes.length - at - 1);
        return b;
    }

    /** A place in the tree: a key of an object or an index of an array, with its JSON path. */
    private record Place(JsonElement parent, String key, int index, String path) {
        JsonElement get() {
            return parent.isJsonObject() ? parent.getAsJsonObject().get(key) : parent.getAsJsonArray().get(index);
        }

        void set(JsonElement v) {
            if (parent.isJsonObject()) {
                parent.getAsJsonObject().add(key, v);
            } else {
                parent.getAsJsonArray().set(index, v);
            }
        }

        void remove() {
            if (parent.isJsonObject()) {
                parent.getAsJsonObject().remove(key);
            } else {
                parent.getAsJsonArray().remove(index);
            }
        }
    }

    /**
     * Every place below {@code e}; of a long array or object (a vocabulary, a merge list) only a few
     * chosen at random, so that the structure around it is changed as often as its contents.
     */
    private static void collect(JsonElement e, String path, List<Place> out, SplittableRandom r) {
        if (e.isJsonObject()) {
            List<String> keys = new ArrayList<>(e.getAsJsonObject().keySet());
            for (int i = 0; i < keys.size(); i++) {
                if (keys.size() <= LONG || r.nextInt(keys.size()) < FEW) {
                    String p = path + "." + keys.get(i);
                    out.add(new Place(e, keys.get(i), -1, p));
                    collect(e.getAsJsonObject().get(keys.get(i)), p, out, r);
                }
            }
        } else if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            for (int i = 0; i < a.size(); i++) {
                if (a.size() <= LONG || r.nextInt(a.size()) < FEW) {
                    String p = path + "[" + i + "]";
                    out.add(new Place(e, null, i, p));
                    collect(a.get(i), p, out, r);
                }
            }
        }
    }
}
