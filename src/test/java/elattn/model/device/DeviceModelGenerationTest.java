package elattn.model.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import elattn.generate.Batch;
import elattn.generate.GenerationConfig;
import elattn.generate.GenerationResult;
import elattn.generate.Generator;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every HF generation case of every family on every test device, through {@link Generator} over
 * the device model: HF's sequences token for token and its sequence scores within 1e-4, with EL
 * and MHA run side by side ({@link TwinModel}) so that every step also checks that both modes give
 * the same logits within 1e-4 and the same candidates.
 */
class DeviceModelGenerationTest {
    private static final double SCORE_TOLERANCE = 1e-4;

    @TestFactory
    Stream<DynamicNode> oracleCases() {
        return TestDevices.devices().map(device -> DynamicContainer.dynamicContainer(device.toString(),
                Stream.of(OracleModels.FAMILIES).map(family -> familyCases(device, family))));
    }

    private static DynamicNode familyCases(TestDevice device, String family) {
        OracleModels.Loaded loaded = OracleModels.get(family);
        List<JsonObject> cases = new ArrayList<>();
        int maxBeams = 1;
        for (JsonElement e : loaded.cases().getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            cases.add(c);
            maxBeams = Math.max(maxBeams, c.getAsJsonObject("effective_generation_config").get("num_beams").getAsInt());
        }
        int beams = maxBeams;
        // One pair of models per family and device, kept across cases so each batch shape builds its plan once.
        DeviceModel[] models = new DeviceModel[2];
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            JsonObject c = cases.get(i);
            boolean lastCase = i == cases.size() - 1;
            tests.add(DynamicTest.dynamicTest(c.get("name").getAsString(), () -> {
                try {
                    if (models[0] == null) {
                        models[0] = OracleModels.model(family, device.get(), AttentionMode.EL, beams)
                                .retainDeviceMemory(true);
                        models[1] = OracleModels.model(family, device.get(), AttentionMode.MHA, beams)
                                .retainDeviceMemory(true);
                    }
                    runCase(family, c, new TwinModel(models[0], models[1], family + "/" + c.get("name").getAsString()
                            + " on " + device));
                } finally {
                    if (lastCase && models[0] != null) {
                        models[0].release();
                        models[1].release();
                    }
                }
            }));
        }
        return DynamicContainer.dynamicContainer(family, tests);
    }

    private static void runCase(String family, JsonObject c, TwinModel model) {
        String name = family + "/" + c.get("name").getAsString();
        Batch batch = new Batch(OracleModels.matrix(c.getAsJsonArray("input_ids")),
                OracleModels.matrix(c.getAsJsonArray("attention_mask")));
        GenerationConfig config = GenerationConfig.fromCheckpoint(OracleModels.dir(family))
                .withOverrides(c.getAsJsonObject("kwargs"));
        GenerationResult out = Generator.generate(model, batch, config);
        int[][] expected = OracleModels.matrix(c.getAsJsonArray("sequences"));
        assertEquals(expected.length, out.rows(), name + ": rows");
        for (int r = 0; r < expected.length; r++) {
            assertArrayEquals(expected[r], out.sequences()[r], name + ": row " + r + " expected "
                    + Arrays.toString(expected[r]) + " got " + Arrays.toString(out.sequences()[r]));
        }
        if (c.has("sequences_scores") && !c.get("sequences_scores").isJsonNull()) {
            float[] scores = OracleModels.floats(c.getAsJsonArray("sequences_scores"));
            for (int r = 0; r < scores.length; r++) {
                assertEquals(scores[r], out.sequenceScores()[r], SCORE_TOLERANCE, name + ": score of row " + r);
            }
        }
    }
}
