package elattn.generate;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.DynamicTest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generation cases of the HF transformers oracle ({@code src/test/resources/oracle/<family>/cases.json},
 * see its README.md), runnable against any {@link StepModel}: the reference model here, the device
 * model in modes el and mha on every device elsewhere. Each case builds its config the way HF did
 * (the checkpoint's generation_config.json, then the case's kwargs), checks it against the recorded
 * {@code effective_generation_config}, generates, and requires the recorded {@code sequences} token
 * for token and {@code sequences_scores} within {@link #SCORE_TOLERANCE}.
 *
 * <pre>{@code
 * @TestFactory
 * Stream<DynamicTest> bart() {
 *     return OracleCases.tests("bart", () -> myModel).stream();
 * }
 * }</pre>
 */
public final class OracleCases {
    /** The families with generation cases. */
    public static final List<String> FAMILIES = List.of("bart", "gpt2", "marian");
    public static final double SCORE_TOLERANCE = 1e-4;

    private OracleCases() {
    }

    /** One recorded {@code generate} call. */
    public record Case(String family, String name, JsonObject kwargs, Batch batch, int[][] sequences,
                       float[] sequenceScores, JsonObject effectiveConfig) {
        @Override
        public String toString() {
            return family + "/" + name;
        }
    }

    /** The checkpoint folder of an oracle family or variant (e.g. {@code bart}, {@code gpt2-bf16}). */
    public static Path checkpoint(String family) {
        try {
            return Path.of(OracleCases.class.getResource("/oracle/" + family + "/config.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("oracle checkpoint " + family + " is not on the test class path", e);
        }
    }

    /** The generation cases of a family, in file order. */
    public static List<Case> cases(String family) {
        JsonObject file;
        try {
            file = JsonParser.parseString(Files.readString(checkpoint(family).resolve("cases.json"))).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Case> out = new ArrayList<>();
        for (JsonElement e : file.getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            float[] scores = null;
            if (c.has("sequences_scores") && !c.get("sequences_scores").isJsonNull()) {
                JsonArray a = c.getAsJsonArray("sequences_scores");
                scores = new float[a.size()];
                for (int i = 0; i < scores.length; i++) {
                    scores[i] = a.get(i).getAsFloat();
                }
            }
            out.add(new Case(family, c.get("name").getAsString(), c.getAsJsonObject("kwargs"),
                    new Batch(matrix(c.getAsJsonArray("input_ids")), matrix(c.getAsJsonArray("attention_mask"))),
                    matrix(c.getAsJsonArray("sequences")), scores, c.getAsJsonObject("effective_generation_config")));
        }
        return out;
    }

    private static int[][] matrix(JsonArray a) {
        int[][] out = new int[a.size()][];
        for (int r = 0; r < out.length; r++) {
            JsonArray row = a.get(r).getAsJsonArray();
            out[r] = new int[row.size()];
            for (int i = 0; i < out[r].length; i++) {
                out[r][i] = row.get(i).getAsInt();
            }
        }
        return out;
    }

    /** The config HF used for a case: generation_config.json (config.json as fallback) plus the kwargs. */
    public static GenerationConfig config(Case c) {
        return GenerationConfig.fromCheckpoint(checkpoint(c.family())).withOverrides(c.kwargs());
    }

    /** Checks that our parse of the checkpoint and kwargs is the config HF recorded. */
    public static void checkConfig(Case c) {
        JsonObject ours = config(c).toJson();
        for (Map.Entry<String, JsonElement> e : c.effectiveConfig().entrySet()) {
            JsonElement expected = e.getValue();
            JsonElement actual = ours.get(e.getKey());
            assertTrue(actual != null, c + ": no parameter " + e.getKey());
            if (expected.isJsonPrimitive() && expected.getAsJsonPrimitive().isNumber()) {
                assertEquals(expected.getAsDouble(), actual.getAsDouble(), 0, c + ": " + e.getKey());
            } else {
                assertEquals(expected, actual, c + ": " + e.getKey());
            }
        }
    }

    /** Generates a case with the model and asserts HF's sequences and scores. */
    public static GenerationResult check(Case c, StepModel model) {
        GenerationResult out = Generator.generate(model, c.batch(), config(c));
        assertEquals(c.sequences().length, out.rows(), c + ": rows");
        for (int r = 0; r < c.sequences().length; r++) {
            assertArrayEquals(c.sequences()[r], out.sequences()[r], c + ": row " + r + " expected "
                    + Arrays.toString(c.sequences()[r]) + " got " + Arrays.toString(out.sequences()[r]));
        }
        if (c.sequenceScores() == null) {
            assertEquals(null, out.sequenceScores(), c + ": greedy has no sequence scores");
        } else {
            for (int r = 0; r < c.sequenceScores().length; r++) {
                assertEquals(c.sequenceScores()[r], out.sequenceScores()[r], SCORE_TOLERANCE, c + ": score of row " + r);
            }
        }
        return out;
    }

    /** One dynamic test per case of the family, each checking config, sequences and scores with the model. */
    public static List<DynamicTest> tests(String family, Supplier<StepModel> model) {
        return cases(family).stream()
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
                    checkConfig(c);
                    check(c, model.get());
                }))
                .toList();
    }
}
