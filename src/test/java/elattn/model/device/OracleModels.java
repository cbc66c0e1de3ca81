package elattn.model.device;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.generate.OracleCases;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

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

    /** Makes the model of one attention mode for up to {@code maxBeams} beams. */
    interface ModelMaker {
        DeviceModel make(AttentionMode mode, int maxBeams);
    }

    /**
     * The oracle cases as one container of dynamic tests, each checked by {@link OracleCases#check}
     * through a {@link TwinModel} of an EL and an MHA model made by {@code maker} on first use, kept
     * across the cases (so each batch shape builds its plan once) and released after the last.
     *
     * @param where how failures name the models and device ({@code "on opencl:0 ..."})
     */
    static DynamicNode twinCases(String name, List<OracleCases.Case> cases, ModelMaker maker, String where) {
        int beams = cases.stream().mapToInt(c -> OracleCases.config(c).numBeams()).max().orElse(1);
        DeviceModel[] models = new DeviceModel[2];
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            OracleCases.Case c = cases.get(i);
            boolean lastCase = i == cases.size() - 1;
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                try {
                    if (models[0] == null) {
                        models[0] = maker.make(AttentionMode.EL, beams).retainDeviceMemory(true);
                        models[1] = maker.make(AttentionMode.MHA, beams).retainDeviceMemory(true);
                    }
                    OracleCases.check(c, new TwinModel(models[0], models[1], c + " " + where));
                } finally {
                    if (lastCase && models[0] != null) {
                        models[0].release();
                        models[1].release();
                    }
                }
            }));
        }
        return DynamicContainer.dynamicContainer(name, tests);
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
