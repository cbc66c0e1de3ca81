package elattn.model.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import elattn.generate.Batch;
import elattn.generate.Candidates;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Raw logits of the device model against HF's, on every test device, for every family in both
 * attention modes: the first step of two inputs, and twelve greedy steps of one input fed token by
 * token (which checks the history cache step by step).
 */
class DeviceModelLogitsTest {
    private static final float TOLERANCE = 1e-4f;

    static Stream<Arguments> cases() {
        return TestDevices.devices().flatMap(d -> Stream.of(OracleModels.FAMILIES)
                .flatMap(f -> Stream.of(AttentionMode.values()).map(m -> Arguments.of(d, f, m))));
    }

    static void assertLogits(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": vocabulary");
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= TOLERANCE)) {
                fail(what + ": logit " + i + " is " + actual[i] + ", HF has " + expected[i]);
            }
        }
    }

    private static Batch single(int[] ids) {
        int[] mask = new int[ids.length];
        Arrays.fill(mask, 1);
        return new Batch(new int[][] {ids}, new int[][] {mask});
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void firstStepLogitsMatchHf(TestDevice device, String family, AttentionMode mode) {
        JsonArray firsts = OracleModels.get(family).cases().getAsJsonArray("first_step_logits");
        try (DeviceModel model = OracleModels.model(family, device.get(), mode, 1)) {
            for (JsonElement e : firsts) {
                JsonObject o = e.getAsJsonObject();
                int[] ids = OracleModels.ints(o.getAsJsonArray("input_ids"));
                Candidates c = model.start(single(ids), 1, OracleModels.logitsRequest(1, 3));
                float[] expected = OracleModels.floats(o.getAsJsonArray("logits"));
                assertLogits(expected, c.logits(), family + " " + mode + " on " + device + ", input "
                        + Arrays.toString(ids));
                assertTopMatchesLogits(expected, c);
            }
        }
    }

    /** The candidates are the best log-softmax scores of the logits, best first. */
    private static void assertTopMatchesLogits(float[] logits, Candidates c) {
        int best = 0;
        for (int j = 1; j < logits.length; j++) {
            best = logits[j] > logits[best] ? j : best;
        }
        assertEquals(best, c.token(0, 0), "top candidate");
        assertTrue(c.score(0, 0) <= 0 && c.score(0, 0) >= c.score(0, 1), "log-probs, best first");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void greedyStepLogitsMatchHf(TestDevice device, String family, AttentionMode mode) {
        JsonObject greedy = OracleModels.get(family).cases().getAsJsonObject("greedy_step_logits");
        int[] ids = OracleModels.ints(greedy.getAsJsonArray("input_ids"));
        int[] sequence = OracleModels.ints(greedy.getAsJsonArray("sequence"));
        JsonArray logits = greedy.getAsJsonArray("logits");
        boolean encoderDecoder = OracleModels.get(family).config().encoderDecoder();
        int first = encoderDecoder ? 1 : ids.length; // tokens of `sequence` fed before the first logits
        try (DeviceModel model = OracleModels.model(family, device.get(), mode, 1)) {
            Candidates c = model.start(single(ids), 1, OracleModels.logitsRequest(1, 1));
            for (int i = 0; i < logits.size(); i++) {
                String what = family + " " + mode + " on " + device + ", greedy step " + i;
                float[] expected = OracleModels.floats(logits.get(i).getAsJsonArray());
                assertLogits(expected, c.logits(), what);
                if (i + 1 < logits.size()) {
                    c = model.next(new int[] {sequence[first + i]}, new int[] {0}, OracleModels.logitsRequest(1, 1));
                }
            }
        }
    }
}
