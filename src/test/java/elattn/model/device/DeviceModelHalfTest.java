package elattn.model.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import elattn.generate.Batch;
import elattn.generate.Candidates;
import elattn.generate.GenerationResult;
import elattn.generate.Generator;
import elattn.generate.OracleCases;
import elattn.model.ModelConfig;
import elattn.model.Precision;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fp16 weight storage ({@link Precision#FP16}) end to end, on every test device:
 * <ul>
 *   <li>the {@code bart-fp16} oracle (weights stored as F16; HF computed its outputs from those
 *       weights upcast to fp32) gives HF's first-step logits within 1e-4 and its generation cases
 *       token for token, in both attention modes (run side by side by {@link TwinModel}): fp16
 *       storage loses nothing when the weights already are fp16, since every sum is fp32;</li>
 *   <li>the fp32 oracles stored in fp16 (weights rounded to nearest) stay within a logit error
 *       bound of HF's fp32 logits and give HF's fp32 sequences on a clear majority of the cases
 *       (rounding may flip a near-tie, so the count is logged, not required to be all);</li>
 *   <li>the weight bytes on the device: matrices halve, vectors stay fp32.</li>
 * </ul>
 */
class DeviceModelHalfTest {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceModelHalfTest.class);
    private static final String FP16_CHECKPOINT = "bart-fp16";
    /** Largest |logit - HF fp32 logit| allowed with fp32 weights rounded to fp16 (measured: 0.012 to 0.019). */
    private static final float ROUNDED_LOGIT_BOUND = 2e-2f;
    /** Share of the fp32 oracle's generation cases that must give HF's fp32 sequences with fp16 storage. */
    private static final double MIN_MATCHING_SHARE = 0.75;

    static Stream<Arguments> devicesAndModes() {
        return TestDevices.devices().flatMap(d -> Stream.of(AttentionMode.values()).map(m -> Arguments.of(d, m)));
    }

    private static Batch single(int[] ids) {
        int[] mask = new int[ids.length];
        Arrays.fill(mask, 1);
        return new Batch(new int[][] {ids}, new int[][] {mask});
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("devicesAndModes")
    void fp16CheckpointGivesHfFirstStepLogits(TestDevice device, AttentionMode mode) {
        JsonArray firsts = OracleModels.get(FP16_CHECKPOINT).cases().getAsJsonArray("first_step_logits");
        try (DeviceModel model = OracleModels.halfModel(FP16_CHECKPOINT, device.get(), mode, 1)) {
            assertEquals(Precision.FP16, model.precision());
            for (JsonElement e : firsts) {
                JsonObject o = e.getAsJsonObject();
                int[] ids = OracleModels.ints(o.getAsJsonArray("input_ids"));
                Candidates c = model.start(single(ids), 1, OracleModels.logitsRequest(1, 1));
                DeviceModelLogitsTest.assertLogits(OracleModels.floats(o.getAsJsonArray("logits")), c.logits(),
                        FP16_CHECKPOINT + " fp16 " + mode + " on " + device + ", input " + Arrays.toString(ids));
            }
        }
    }

    @TestFactory
    Stream<DynamicNode> fp16CheckpointGivesHfSequences() {
        return TestDevices.devices().map(device -> {
            List<OracleCases.Case> cases = OracleCases.cases(FP16_CHECKPOINT);
            int beams = cases.stream().mapToInt(c -> OracleCases.config(c).numBeams()).max().orElse(1);
            return DynamicContainer.dynamicContainer(device.toString(), Stream.of(DynamicTest.dynamicTest(
                    FP16_CHECKPOINT, () -> {
                        DeviceModel el = OracleModels.halfModel(FP16_CHECKPOINT, device.get(), AttentionMode.EL, beams)
                                .retainDeviceMemory(true);
                        DeviceModel mha = OracleModels.halfModel(FP16_CHECKPOINT, device.get(), AttentionMode.MHA,
                                beams).retainDeviceMemory(true);
                        try {
                            for (OracleCases.Case c : cases) {
                                OracleCases.check(c, new TwinModel(el, mha, c + " fp16 on " + device));
                            }
                        } finally {
                            el.release();
                            mha.release();
                        }
                    })));
        });
    }

    @TestFactory
    Stream<DynamicNode> fp32CheckpointsStoredInFp16() {
        return TestDevices.devices().map(device -> DynamicContainer.dynamicContainer(device.toString(),
                Stream.of(OracleModels.FAMILIES).map(family -> DynamicTest.dynamicTest(family,
                        () -> roundedWeights(device, family)))));
    }

    /** Logit error against HF's fp32 logits, and HF's fp32 sequences on a clear majority of the cases. */
    private static void roundedWeights(TestDevice device, String family) {
        List<OracleCases.Case> cases = OracleCases.cases(family);
        int beams = cases.stream().mapToInt(c -> OracleCases.config(c).numBeams()).max().orElse(1);
        DeviceModel model = OracleModels.halfModel(family, device.get(), AttentionMode.EL, beams)
                .retainDeviceMemory(true);
        try {
            float worst = 0;
            for (JsonElement e : OracleModels.get(family).cases().getAsJsonArray("first_step_logits")) {
                JsonObject o = e.getAsJsonObject();
                Candidates c = model.start(single(OracleModels.ints(o.getAsJsonArray("input_ids"))), 1,
                        OracleModels.logitsRequest(1, 1));
                worst = Math.max(worst, maxError(OracleModels.floats(o.getAsJsonArray("logits")), c.logits()));
            }
            List<String> differing = new ArrayList<>();
            int greedy = 0;
            int greedySame = 0;
            for (OracleCases.Case c : cases) {
                GenerationResult out = Generator.generate(model, c.batch(), OracleCases.config(c));
                boolean same = Arrays.deepEquals(c.sequences(), out.sequences());
                if (OracleCases.config(c).numBeams() == 1) {
                    greedy++;
                    greedySame += same ? 1 : 0;
                }
                if (!same) {
                    differing.add(c.name());
                }
            }
            int matching = cases.size() - differing.size();
            LOG.info("{} stored in fp16 on {}: first-step logits within {} of HF fp32; {}/{} cases give HF's fp32"
                    + " sequences ({}/{} greedy); differing: {}", family, device, worst, matching, cases.size(),
                    greedySame, greedy, differing);
            assertTrue(worst < ROUNDED_LOGIT_BOUND, family + " fp16 on " + device + ": first-step logits differ from"
                    + " HF's fp32 ones by up to " + worst);
            assertTrue(matching >= MIN_MATCHING_SHARE * cases.size(), family + " fp16 on " + device + ": only "
                    + matching + " of " + cases.size() + " cases give HF's fp32 sequences; differing: " + differing);
        } finally {
            model.release();
        }
    }

    private static float maxError(float[] expected, float[] actual) {
        float worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        return worst;
    }

    /**
     * The bart oracle's weights counted by hand from its config: every matrix (tied embedding,
     * position tables, the projections and feed-forward weights of each layer) halves in fp16; the
     * vectors (biases, layer norms, final_logits_bias) stay fp32.
     */
    @Test
    void weightBytesHalveTheMatrices() {
        ModelConfig c = OracleModels.get("bart").config();
        long d = c.dModel();
        long matrices = (long) c.vocabSize() * d + 2L * c.positionRows() * d
                + c.encoderLayers() * (4 * d * d + 2 * d * c.encoderFfn())
                + c.decoderLayers() * (8 * d * d + 2 * d * c.decoderFfn());
        long vectors = c.vocabSize() + 2 * 2 * d
                + c.encoderLayers() * (4 * d + c.encoderFfn() + d + 2 * 2 * d)
                + c.decoderLayers() * (8 * d + c.decoderFfn() + d + 3 * 2 * d);
        try (DeviceModel fp32 = OracleModels.model("bart", TestDevices.devices().findFirst().orElseThrow().get(),
                AttentionMode.EL, 1);
                DeviceModel fp16 = OracleModels.halfModel("bart", fp32.device(), AttentionMode.EL, 1)) {
            assertEquals(4 * (matrices + vectors), fp32.weightBytes(), "fp32 weight bytes");
            assertEquals(2 * matrices + 4 * vectors, fp16.weightBytes(), "fp16 weight bytes");
            LOG.info("bart oracle weights on the device: {} bytes in fp32, {} in fp16", fp32.weightBytes(),
                    fp16.weightBytes());
        }
    }
}
