package elattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.generate.Batch;
import elattn.generate.GenerationResult;
import elattn.model.Precision;
import elattn.model.device.AttentionMode;
import elattn.model.device.CacheBytes;
import elattn.runtime.Devices;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The few-lines API: a checkpoint folder to HF's outputs with its own generation defaults, in both
 * attention modes, reusing the device model between calls.
 */
class PipelineTest {
    private static Path oracle(String family) throws URISyntaxException {
        return Path.of(PipelineTest.class.getResource("/oracle/" + family + "/config.json").toURI()).getParent();
    }

    private static int[][] matrix(JsonElement e) {
        JsonArray rows = e.getAsJsonArray();
        int[][] out = new int[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            JsonArray row = rows.get(r).getAsJsonArray();
            out[r] = new int[row.size()];
            for (int c = 0; c < out[r].length; c++) {
                out[r][c] = row.get(c).getAsInt();
            }
        }
        return out;
    }

    /** The oracle case that ran with the checkpoint's own generation config and no kwargs. */
    private static JsonObject defaultsCase(Path dir) throws IOException {
        return namedCase(dir, "defaults_batch");
    }

    private static JsonObject namedCase(Path dir, String name) throws IOException {
        JsonObject all = JsonParser.parseString(Files.readString(dir.resolve("cases.json"))).getAsJsonObject();
        for (JsonElement c : all.getAsJsonArray("cases")) {
            JsonObject o = c.getAsJsonObject();
            if (o.get("name").getAsString().equals(name)) {
                return o;
            }
        }
        throw new AssertionError("no " + name + " case in " + dir);
    }

    @Test
    void bartWithItsGenerationDefaultsMatchesHfInBothModes() throws Exception {
        Path dir = oracle("bart");
        JsonObject c = defaultsCase(dir);
        assertTrue(c.getAsJsonObject("kwargs").isEmpty(), "the case must use the checkpoint's defaults");
        Batch batch = new Batch(matrix(c.get("input_ids")), matrix(c.get("attention_mask")));
        long[] crossBytes = new long[2];
        for (AttentionMode mode : AttentionMode.values()) {
            try (Pipeline bart = Pipeline.open(dir, Devices.byId("jvm"), mode)) {
                GenerationResult first = bart.generate(batch);
                GenerationResult again = bart.generate(batch);
                assertArrayEquals(matrix(c.get("sequences")), first.sequences(), mode + ": HF's sequences");
                assertArrayEquals(first.sequences(), again.sequences(), mode + ": a second call on the kept model");
                CacheBytes bytes = bart.cacheBytes();
                crossBytes[mode.ordinal()] = bytes.cross();
            }
        }
        assertTrue(crossBytes[AttentionMode.EL.ordinal()] < crossBytes[AttentionMode.MHA.ordinal()]);
    }

    @Test
    void fp16StorageOfTheFp16CheckpointMatchesHf() throws Exception {
        Path dir = oracle("bart-fp16");
        JsonObject c = namedCase(dir, "beam4_lp1.0");
        Batch batch = new Batch(matrix(c.get("input_ids")), matrix(c.get("attention_mask")));
        try (Pipeline bart = Pipeline.open(dir, Devices.byId("jvm"), AttentionMode.EL, Precision.FP16)) {
            assertEquals(Precision.FP16, bart.precision());
            GenerationResult out = bart.generate(batch,
                    bart.generationConfig().withOverrides(c.getAsJsonObject("kwargs")));
            assertArrayEquals(matrix(c.get("sequences")), out.sequences(), "HF's sequences from the fp16 weights");
        }
    }
}
