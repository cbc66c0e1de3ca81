package elattn.model.device;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.generate.StepRequest;
import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import elattn.model.Checkpoint;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.model.Precision;
import elattn.runtime.Device;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HF oracle checkpoints of {@code src/test/resources/oracle/} loaded once per test JVM, in fp32
 * and in fp16 storage (weights in a file's own dtype are views of the memory-mapped file, so the
 * checkpoints stay open), and DeviceModels made from them.
 */
final class OracleModels {
    static final String[] FAMILIES = {"bart", "gpt2", "marian"};

    record Loaded(ModelConfig config, ModelWeights<FloatArray> weights, ModelWeights<HalfFloatArray> halfWeights,
            JsonObject cases) {
    }

    private static final Map<String, Loaded> LOADED = new ConcurrentHashMap<>();

    private OracleModels() {
    }

    static Loaded get(String family) {
        return LOADED.computeIfAbsent(family, OracleModels::load);
    }

    private static Loaded load(String family) {
        Path dir = dir(family);
        Checkpoint checkpoint = Checkpoint.open(dir); // kept open for the JVM: the weights map its file
        ModelConfig config = ModelConfig.of(checkpoint);
        try {
            JsonObject cases = JsonParser.parseString(Files.readString(dir.resolve("cases.json"))).getAsJsonObject();
            return new Loaded(config, ModelWeights.load(checkpoint, config, Precision.FP32),
                    ModelWeights.load(checkpoint, config, Precision.FP16), cases);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path dir(String family) {
        try {
            return Path.of(OracleModels.class.getResource("/oracle/" + family + "/config.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("oracle checkpoint " + family + " is not on the test class path", e);
        }
    }

    static DeviceModel model(String family, Device device, AttentionMode mode, int maxBeams) {
        Loaded l = get(family);
        return new DeviceModel(l.config(), l.weights(), device, mode, l.config().maxPositions(), maxBeams);
    }

    /** A DeviceModel of the checkpoint's weights stored in fp16 ({@link Precision#FP16}). */
    static DeviceModel halfModel(String family, Device device, AttentionMode mode, int maxBeams) {
        Loaded l = get(family);
        return new DeviceModel(l.config(), l.halfWeights(), device, mode, l.config().maxPositions(), maxBeams);
    }

    /** A step request with no constraints that keeps the logits. */
    static StepRequest logitsRequest(int rows, int topK) {
        int[] forced = new int[rows];
        java.util.Arrays.fill(forced, -1);
        return new StepRequest(topK, forced, new int[0], new int[0], true);
    }

    static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    static int[][] matrix(JsonArray a) {
        int[][] out = new int[a.size()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = ints(a.get(r).getAsJsonArray());
        }
        return out;
    }

    static float[] floats(JsonArray a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsFloat();
        }
        return out;
    }
}
