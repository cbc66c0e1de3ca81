package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.testing.TestDevices.TestDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code elattn summarize} and {@code generate} end to end through {@link Main#run}: inputs from
 * arguments, stdin and JSONL (ids and text), output_ids against HF's generate (the oracle cases),
 * several returned sequences, and the output written as text or JSONL.
 */
class GenerationCommandsTest {
    @TempDir
    static Path tmp;
    static Path bart;
    static Path gpt2;

    @BeforeAll
    static void models() throws IOException {
        bart = TinyCheckpoints.bart(tmp.resolve("bart"));
        gpt2 = TinyCheckpoints.gpt2(tmp.resolve("gpt2"));
    }

    static List<JsonObject> records(String jsonl) {
        return jsonl.lines().filter(l -> !l.isBlank()).map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
    }

    static int[] ints(JsonElement e) {
        JsonArray a = e.getAsJsonArray();
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    @Test
    void summarizeTextsFromArgumentsOneLineEach() {
        CliRun r = CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--max-new-tokens", "6",
                "the first text", "a second one");
        assertEquals(0, r.code(), r.toString());
        assertEquals(2, r.out().lines().count(), r.toString());
    }

    @Test
    void summarizeStdinAsJsonlCarriesTextAndOutputIds() {
        CliRun r = CliRun.withStdin("some text to summarize\nover two lines\n", "summarize", "--model", bart.toString(),
                "--device", "jvm", "--max-new-tokens", "6", "--format", "jsonl");
        assertEquals(0, r.code(), r.toString());
        List<JsonObject> out = records(r.out());
        assertEquals(1, out.size(), r.toString());
        assertEquals(1, out.get(0).get("id").getAsInt());
        assertTrue(out.get(0).has("text"), r.out());
        JsonArray ids = out.get(0).getAsJsonArray("output_ids");
        assertEquals(1, ids.size());
        assertTrue(ids.get(0).getAsJsonArray().size() >= 1 && ids.get(0).getAsJsonArray().size() <= 6, r.out());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"greedy", "greedy_batch", "greedy_min_new_tokens", "greedy_min_max_length", "beam4",
            "beam4_early_never_lp2.0", "beam4_num_return_sequences_2", "defaults_batch"})
    void jsonlIdsGiveHfOutputIds(String name) throws IOException {
        checkOracleCase("bart", name);
    }

    /** The fp16 checkpoint with fp16 weight storage: HF computed these cases from the same rounded weights. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"greedy_batch", "beam4_lp1.0"})
    void dtypeFp16GivesHfOutputIdsOfTheFp16Checkpoint(String name) throws IOException {
        checkOracleCase("bart-fp16", name, "--dtype", "fp16");
    }

    private static void checkOracleCase(String folder, String name, String... extraArgs) throws IOException {
        JsonObject c = oracleCase(folder, name);
        Path in = tmp.resolve("case-" + folder + "-" + name + ".jsonl");
        JsonArray inputIds = c.getAsJsonArray("input_ids");
        StringBuilder lines = new StringBuilder();
        for (int s = 0; s < inputIds.size(); s++) {
            JsonObject rec = new JsonObject();
            rec.addProperty("id", "s" + s);
            rec.add("input_ids", inputIds.get(s));
            rec.add("attention_mask", c.getAsJsonArray("attention_mask").get(s));
            lines.append(rec).append('\n');
        }
        Files.writeString(in, lines);
        List<String> args = new ArrayList<>(List.of("summarize", "--model", TinyCheckpoints.ORACLE.resolve(folder).toString(),
                "--device", "jvm", "--input", in.toString(), "--format", "jsonl",
                "--batch-size", String.valueOf(inputIds.size())));
        args.addAll(List.of(extraArgs));
        for (Map.Entry<String, JsonElement> kw : c.getAsJsonObject("kwargs").entrySet()) {
            args.add("--" + kw.getKey().replace('_', '-'));
            args.add(kw.getValue().getAsString());
        }
        CliRun r = CliRun.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.toString());
        List<JsonObject> out = records(r.out());
        JsonObject kwargs = c.getAsJsonObject("kwargs");
        int perInput = kwargs.has("num_return_sequences") ? kwargs.get("num_return_sequences").getAsInt() : 1;
        JsonArray sequences = c.getAsJsonArray("sequences");
        assertEquals(inputIds.size(), out.size(), r.out());
        for (int s = 0; s < out.size(); s++) {
            assertEquals("s" + s, out.get(s).get("id").getAsString());
            assertFalse(out.get(s).has("text"), "the oracle folder has no tokenizer");
            JsonArray got = out.get(s).getAsJsonArray("output_ids");
            assertEquals(perInput, got.size());
            for (int k = 0; k < perInput; k++) {
                assertArrayEquals(generated(ints(sequences.get(s * perInput + k))), ints(got.get(k)),
                        name + " sentence " + s + " sequence " + k);
            }
        }
    }

    /** HF's row without the decoder start token, up to and including EOS (2), without the pad (1) fill. */
    private static int[] generated(int[] row) {
        int end = row.length;
        for (int i = 1; i < row.length; i++) {
            if (row[i] == 2) {
                end = i + 1;
                break;
            }
        }
        while (end > 1 && row[end - 1] == 1) {
            end--;
        }
        return java.util.Arrays.copyOfRange(row, 1, end);
    }

    private static JsonObject oracleCase(String folder, String name) throws IOException {
        JsonObject all = JsonParser.parseString(Files.readString(TinyCheckpoints.ORACLE.resolve(folder + "/cases.json")))
                .getAsJsonObject();
        for (JsonElement e : all.getAsJsonArray("cases")) {
            if (e.getAsJsonObject().get("name").getAsString().equals(name)) {
                return e.getAsJsonObject();
            }
        }
        throw new IllegalArgumentException("no oracle case " + name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void jsonlTextToOutputFileOnEachDevice(TestDevice device) throws IOException {
        Path in = tmp.resolve("text-" + device + ".jsonl");
        Files.writeString(in, "{\"id\": \"x\", \"text\": \"hello there\"}\n{\"text\": \"another\"}\n");
        Path out = tmp.resolve("text-" + device + ".out.jsonl");
        CliRun r = CliRun.run("summarize", "--model", bart.toString(), "--device", device.get().id(), "--input",
                in.toString(), "--output", out.toString(), "--max-new-tokens", "5", "--num-beams", "2",
                "--num-return-sequences", "2");
        assertEquals(0, r.code(), r.toString());
        List<JsonObject> recs = records(Files.readString(out));
        assertEquals(List.of("\"x\"", "2"), recs.stream().map(o -> o.get("id").toString()).toList());
        for (JsonObject o : recs) {
            assertEquals(2, o.getAsJsonArray("output_ids").size());
            assertEquals(2, o.getAsJsonArray("texts").size());
            assertEquals(o.getAsJsonArray("texts").get(0).getAsString(), o.get("text").getAsString());
        }
        assertTrue(r.err().contains("summarize 2/2 records"), "progress on stderr: " + r.err());
    }

    @Test
    void generateContinuesPromptsWithTheDecoderOnlyModel() {
        CliRun r = CliRun.run("generate", "--model", gpt2.toString(), "--device", "jvm", "--max-new-tokens", "4",
                "--format", "jsonl", "the prompt", "a longer prompt than the first");
        assertEquals(0, r.code(), r.toString());
        List<JsonObject> out = records(r.out());
        assertEquals(2, out.size());
        for (JsonObject o : out) {
            assertEquals(4, o.getAsJsonArray("output_ids").get(0).getAsJsonArray().size(), "no EOS in 4 steps: " + o);
            assertTrue(o.has("text"));
        }
    }

    /**
     * Text output is one line per sequence: the tiny BART's most frequent tokens, 46 and 254, made
     * to decode to a newline and a backslash, come out escaped, and unescaping each line gives the
     * JSONL output's text.
     */
    @Test
    void textOutputIsOneLinePerSequence() throws IOException {
        Path model = TinyCheckpoints.bart(tmp.resolve("bart-newlines"));
        Path tokenizer = model.resolve("tokenizer.json");
        JsonObject root = JsonParser.parseString(Files.readString(tokenizer)).getAsJsonObject();
        JsonObject vocab = root.getAsJsonObject("model").getAsJsonObject("vocab");
        swap(vocab, "*", "\u010a");
        swap(vocab, "\u00fa", "\\");
        Files.writeString(tokenizer, root.toString());
        String[] job = {"summarize", "--model", model.toString(), "--device", "jvm", "--max-new-tokens", "12",
                "--num-beams", "2", "--num-return-sequences", "2", "one input", "a second input", "the third"};
        CliRun jsonl = CliRun.run(concat(job, "--format", "jsonl"));
        CliRun text = CliRun.run(concat(job, "--format", "text"));
        assertEquals(0, text.code(), text.toString());
        List<String> expected = new ArrayList<>();
        records(jsonl.out()).forEach(o -> o.getAsJsonArray("texts").forEach(t -> expected.add(t.getAsString())));
        assertTrue(expected.stream().anyMatch(t -> t.contains("\n")) && expected.stream().anyMatch(t -> t.contains("\\")),
                "the model wrote newlines and backslashes: " + expected);
        List<String> lines = text.out().lines().toList();
        assertEquals(expected.size(), lines.size(), text.out());
        for (int i = 0; i < lines.size(); i++) {
            assertEquals(expected.get(i), unescape(lines.get(i)));
        }
    }

    private static void swap(JsonObject vocab, String a, String b) {
        JsonElement id = vocab.get(a);
        vocab.add(a, vocab.get(b));
        vocab.add(b, id);
    }

    /** A text output line read back: {@code \n}, {@code \r} and {@code \\} are a newline, a return, a backslash. */
    private static String unescape(String line) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char next = line.charAt(++i);
            b.append(switch (next) {
                case 'n' -> '\n';
                case 'r' -> '\r';
                case '\\' -> '\\';
                default -> throw new AssertionError("unknown escape \\" + next + " in " + line);
            });
        }
        return b.toString();
    }

    @Test
    void attentionModesGiveTheSameOutputs() {
        String[] common = {"summarize", "--model", bart.toString(), "--device", "jvm", "--format", "jsonl",
                "--num-beams", "3", "--max-new-tokens", "8", "one input", "and another input"};
        CliRun el = CliRun.run(concat(common, "--attention", "el"));
        CliRun mha = CliRun.run(concat(common, "--attention", "mha"));
        assertEquals(0, el.code(), el.toString());
        assertEquals(el.out(), mha.out());
    }

    @Test
    void summarizeRefusesADecoderOnlyModel() {
        CliRun r = CliRun.run("summarize", "--model", gpt2.toString(), "--device", "jvm", "text");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("use `elattn generate`"), r.err());
    }

    /** --tensor-cores says what it needs: fp16 weights first, then a GPU with tensor cores (the JVM has none). */
    @Test
    void tensorCoresRefusedWithWhatTheyNeed() {
        CliRun fp32 = CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--tensor-cores", "text");
        assertEquals(1, fp32.code(), fp32.toString());
        assertTrue(fp32.err().contains("tensor cores multiply fp16 weights: add --dtype fp16"), fp32.err());
        CliRun fp16 = CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--dtype", "fp16",
                "--tensor-cores", "text");
        assertEquals(1, fp16.code(), fp16.toString());
        assertTrue(fp16.err().contains("--tensor-cores needs a CUDA GPU of compute capability 8.0"), fp16.err());
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static Set<String> ids(List<JsonObject> records) {
        return Set.copyOf(records.stream().map(o -> o.get("id").toString()).toList());
    }
}
