package elattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.generate.Batch;
import elattn.generate.GenerationResult;
import elattn.model.device.AttentionMode;
import elattn.testing.TestDevices.TestDevice;
import elattn.text.BpeTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The models the project ships (models/debian-bart, models/debian-gpt2) against what HF
 * transformers generated with them when they were trained ({@code samples.json}: HF generate with
 * each folder's own generation config, weights upcast to fp32): our tokenizer gives HF's input ids,
 * and generation gives HF's output ids and text, in both attention modes, on every test device.
 */
class ShippedModelsTest {
    private static final Path MODELS = Path.of("models");

    private static JsonObject samples(String model) throws IOException {
        return JsonParser.parseString(Files.readString(MODELS.resolve(model).resolve("samples.json"))).getAsJsonObject();
    }

    private static int[] ints(JsonElement e) {
        JsonArray a = e.getAsJsonArray();
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    private static int[] withoutPadding(int[] row, int pad, int keepFrom) {
        int end = row.length;
        while (end > keepFrom && row[end - 1] == pad) {
            end--;
        }
        return Arrays.copyOf(row, end);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void debianBartWritesHfsSynopses(TestDevice device) throws IOException {
        check("debian-bart", device, 1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void debianGpt2ContinuesAsHfDoes(TestDevice device) throws IOException {
        check("debian-gpt2", device, 2);
    }

    /** Each sample alone (HF generated them one at a time), in both modes. */
    private static void check(String model, TestDevice device, int pad) throws IOException {
        Path dir = MODELS.resolve(model);
        BpeTokenizer tokenizer = BpeTokenizer.open(dir);
        List<JsonObject> cases = new ArrayList<>();
        samples(model).getAsJsonArray("samples").forEach(s -> cases.add(s.getAsJsonObject()));
        for (AttentionMode mode : AttentionMode.values()) {
            try (Pipeline pipeline = Pipeline.open(dir, device.get(), mode)) {
                for (JsonObject s : cases) {
                    int[] ids = tokenizer.encode(s.get("input_text").getAsString(), true);
                    assertArrayEquals(ints(s.get("input_ids")), ids, model + " input ids of " + s.get("package"));
                    int[] mask = new int[ids.length];
                    Arrays.fill(mask, 1);
                    GenerationResult r = pipeline.generate(new Batch(new int[][] {ids}, new int[][] {mask}));
                    int[] expected = ints(s.get("output_ids"));
                    assertArrayEquals(expected, withoutPadding(r.sequences()[0], pad, expected.length),
                            model + " " + mode + " on " + device + ": output ids of " + s.get("package"));
                    int[] generated = r.generated(0, 0);
                    assertEquals(s.get("decoded").getAsString(), tokenizer.decode(generated, true),
                            model + " " + mode + ": text of " + s.get("package"));
                }
            }
        }
    }
}
