package elattn.model.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import elattn.generate.Batch;
import elattn.generate.GenerationResult;
import elattn.generate.Generator;
import elattn.generate.OracleCases;
import elattn.model.ModelConfig;
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
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DeviceModel#tensorCores}: the big products on tensor cores (fp16 operands, fp32 sums) on
 * the CUDA devices that have them (8.0+), with the form thresholds lowered
 * so that every linear of the tiny test models takes the tensor-core form, against HF's fp32
 * outputs, as HF's fp16 models would be judged: first-step logits within a bound (every family and
 * attention mode), and HF's greedy sequences on a clear majority of the cases. That the tensor cores
 * really ran shows as logits that differ from those of fp32 arithmetic on the same fp16 weights; EL's
 * cross-attention state (H) and self-attention history, kept in fp16, are half of fp32's.
 * Not on the JVM device, for the reason {@link DeviceModelGroupFormsTest} gives (a thread per work
 * item: minutes per case); the kernels' own tests run there ({@code AttentionTiledTest},
 * {@code TensorCoreGemmTest}), and {@link #formsFollowTheSwitch} checks which products take them.
 * Also: the clear refusals where tensor cores cannot run.
 */
class DeviceModelTensorCoreTest {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceModelTensorCoreTest.class);
    /**
     * Largest |logit - HF fp32 logit| with weights rounded to fp16 and activations rounded to fp16 at
     * every tensor-core product (fp16 storage alone: up to 0.019, DeviceModelHalfTest).
     */
    private static final float LOGIT_BOUND = 5e-2f;
    /** Share of the greedy cases that must give HF's fp32 sequences. */
    private static final double MIN_MATCHING_SHARE = 0.75;

    @TestFactory
    Stream<DynamicNode> oracleCasesWithTensorCores() {
        return TestDevices.tensorCoreDevices().filter(d -> d.device() == null || !d.device().id().equals("jvm"))
                .map(device -> DynamicContainer.dynamicContainer(device.toString(), Stream.of(OracleModels.FAMILIES)
                        .flatMap(family -> Stream.concat(Stream.of(AttentionMode.values())
                                .map(mode -> DynamicTest.dynamicTest(family + " " + mode,
                                        () -> firstStepLogitsAndGreedySequences(device, family, mode, null))),
                                // The tiny models' plans take the row forms for EL's cross-attention: the blocked pair too.
                                Stream.of(family).filter(f -> OracleModels.get(f).config().encoderDecoder())
                                        .map(f -> DynamicTest.dynamicTest(f + " EL, cross-attention blocked",
                                                () -> firstStepLogitsAndGreedySequences(device, f, AttentionMode.EL,
                                                        false)))))));
    }

    /**
     * The rule ({@link KernelLaunches#productForm}): with tensor cores, a product that would take a
     * register-blocked form takes the tensor-core form of the same blocks (128 x 128: hgemmTensorCore,
     * 64 x 64: weightsTensorCore, also EL's per-head products); a small one keeps the per-output form;
     * a linear whose in-features are not a multiple of 8 (the tensor-core copies' 16 bytes) stays blocked.
     */
    @Test
    void formsFollowTheSwitch() {
        KernelLaunches plain = new KernelLaunches(KernelForms.GROUP, false, 128, 32);
        KernelLaunches cores = new KernelLaunches(KernelForms.GROUP, true, 128, 32);
        assertEquals(KernelLaunches.ProductForm.TILED, plain.productForm(1024, 50265, 1, 1024, true));
        assertEquals(KernelLaunches.ProductForm.TENSOR_CORE, cores.productForm(1024, 50265, 1, 1024, true));
        assertEquals(KernelLaunches.ProductForm.BLOCKED, plain.productForm(512, 1024, 1, 1024, true));
        assertEquals(KernelLaunches.ProductForm.TENSOR_CORE_BLOCKED, cores.productForm(512, 1024, 1, 1024, true));
        assertEquals(KernelLaunches.ProductForm.PER_OUTPUT, cores.productForm(4, 1024, 1, 1024, true));
        assertEquals(KernelLaunches.ProductForm.TENSOR_CORE_BLOCKED, cores.productForm(1024, 1024, 16, 64, false));
        assertEquals(KernelLaunches.ProductForm.BLOCKED, plain.productForm(1024, 1024, 16, 64, false));
        assertEquals(KernelLaunches.ProductForm.TENSOR_CORE, cores.linearForm(512, 1024, 4096));
        assertEquals(KernelLaunches.ProductForm.BLOCKED, cores.linearForm(512, 1020, 4096));
        assertEquals(KernelLaunches.ProductForm.TILED, plain.linearForm(1024, 1020, 50265));
        // EL keeps H in fp16 with tensor cores where the pair's 16-byte copies take the sizes.
        assertTrue(Buffers.halfCross(true, true, 1024, 1024));
        assertFalse(Buffers.halfCross(true, true, 1024, 1022), "score rows of 1022 floats");
        assertFalse(Buffers.halfCross(true, true, 1020, 1024), "states of 1020 halves");
        assertFalse(Buffers.halfCross(true, false, 1024, 1024), "no tensor cores");
        assertFalse(Buffers.halfCross(false, true, 1024, 1024), "MHA");
        // And its self-attention history, read by the tensor-core row pair.
        assertTrue(Buffers.halfSelf(true, true, 1024, 132));
        assertFalse(Buffers.halfSelf(true, true, 1020, 132), "states of 1020 halves");
        assertFalse(Buffers.halfSelf(true, false, 1024, 132), "no tensor cores");
        assertFalse(Buffers.halfSelf(false, true, 1024, 132), "MHA");
        assertThrows(IllegalArgumentException.class, () -> new KernelLaunches(KernelForms.LOOP, true, 128, 32));
    }

    /** Every product with weights in the tensor-core form: the thresholds at one block. */
    static DeviceModel withTensorCores(DeviceModel model) {
        return model.kernelForms(KernelForms.GROUP).tiledMinBlocks(1).blockedMinBlocks(1).tensorCores(true);
    }

    /** {@code crossRows}: EL's cross-attention in the row forms (true), the blocked ones (false), or the plan's choice (null). */
    private static void firstStepLogitsAndGreedySequences(TestDevice device, String family, AttentionMode mode,
            Boolean crossRows) {
        try (DeviceModel exact = OracleModels.halfModel(family, device.get(), mode, 1)
                .kernelForms(KernelForms.GROUP).tiledMinBlocks(1).blockedMinBlocks(1);
                DeviceModel tc = withTensorCores(OracleModels.halfModel(family, device.get(), mode, 1))) {
            if (crossRows != null) {
                tc.rowAttentionForSharedKeys(crossRows);
            }
            float worst = 0;
            float fromExact = 0;
            int halfH = 0;
            ModelConfig config = OracleModels.get(family).config();
            for (JsonElement e : OracleModels.get(family).cases().getAsJsonArray("first_step_logits")) {
                JsonObject o = e.getAsJsonObject();
                int[] ids = OracleModels.ints(o.getAsJsonArray("input_ids"));
                // A source padded (masked) to a multiple of 4 positions, which EL's fp16-H pair takes.
                Batch batch = config.encoderDecoder() ? padded(ids, config.padTokenId()) : single(ids);
                float[] logits = tc.start(batch, 1, OracleModels.logitsRequest(1, 1)).logits();
                tc.close();
                float[] fp32Math = exact.start(batch, 1, OracleModels.logitsRequest(1, 1)).logits();
                exact.close();
                // EL keeps H in fp16 for the tensor cores where they take the sizes: half the cross-attention state.
                boolean half = config.encoderDecoder()
                        && Buffers.halfCross(mode == AttentionMode.EL, true, config.dModel(), batch.inputIds()[0].length);
                halfH += half ? 1 : 0;
                assertEquals(exact.cacheBytes().cross(), (half ? 2 : 1) * tc.cacheBytes().cross(), "cross-attention bytes");
                // And its self-attention history (score rows are a multiple of 4 keys): the row pair reads it in fp16.
                boolean halfHistory = Buffers.halfSelf(mode == AttentionMode.EL, true, config.dModel(), 4);
                assertEquals(exact.cacheBytes().self(), (halfHistory ? 2 : 1) * tc.cacheBytes().self(),
                        "self-attention bytes");
                worst = Math.max(worst, maxError(OracleModels.floats(o.getAsJsonArray("logits")), logits));
                fromExact = Math.max(fromExact, maxError(fp32Math, logits));
            }
            List<String> differing = new ArrayList<>();
            List<OracleCases.Case> greedy = OracleCases.cases(family).stream()
                    .filter(c -> OracleCases.config(c).numBeams() == 1).toList();
            for (OracleCases.Case c : greedy) {
                GenerationResult out = Generator.generate(tc, c.batch(), OracleCases.config(c));
                if (!Arrays.deepEquals(c.sequences(), out.sequences())) {
                    differing.add(c.name());
                }
            }
            String what = family + " " + mode + " with tensor cores on " + device;
            LOG.info("{}: first-step logits within {} of HF fp32 ({} from fp32 arithmetic; H in fp16 in {} of the"
                    + " cases); {}/{} greedy cases give HF's sequences; differing: {}", what, worst, fromExact, halfH,
                    greedy.size() - differing.size(), greedy.size(), differing);
            assertTrue(worst < LOGIT_BOUND, what + ": first-step logits differ from HF's fp32 ones by up to " + worst);
            assertTrue(fromExact > 0, what + ": logits equal fp32 arithmetic's: the tensor-core forms did not run");
            assertTrue(halfH > 0 || mode != AttentionMode.EL || !config.encoderDecoder(),
                    what + ": no case kept H in fp16");
            assertTrue(greedy.size() - differing.size() >= MIN_MATCHING_SHARE * greedy.size(),
                    what + ": greedy cases that differ from HF: " + differing);
        }
    }

    static Stream<TestDevice> devicesWithout() {
        return TestDevices.devices().filter(d -> !TestDevices.hasTensorCores(d));
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("devicesWithout")
    void refusedWhereThereAreNoTensorCores(TestDevice device) {
        try (DeviceModel model = OracleModels.halfModel("bart", device.get(), AttentionMode.EL, 1)
                .kernelForms(KernelForms.GROUP)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.tensorCores(true));
            assertTrue(e.getMessage().contains("has no tensor cores"), e.getMessage());
            assertFalse(model.tensorCores());
        }
    }

    @ParameterizedTest(name = "{0}", allowZeroInvocations = true)
    @MethodSource("elattn.testing.TestDevices#tensorCoreDevices")
    void refusedForFp32WeightsAndLoopForms(TestDevice device) {
        try (DeviceModel fp32 = OracleModels.model("bart", device.get(), AttentionMode.EL, 1)
                .kernelForms(KernelForms.GROUP);
                DeviceModel loop = OracleModels.halfModel("bart", device.get(), AttentionMode.EL, 1)
                        .kernelForms(KernelForms.LOOP);
                DeviceModel on = withTensorCores(OracleModels.halfModel("bart", device.get(), AttentionMode.EL, 1))) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> fp32.tensorCores(true)).getMessage()
                    .contains("--dtype fp16"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> loop.tensorCores(true)).getMessage()
                    .contains("kernelForms(GROUP)"));
            assertThrows(IllegalStateException.class, () -> on.kernelForms(KernelForms.LOOP));
        }
    }

    /** One sentence right-padded with {@code pad} (masked) to a multiple of 4 positions. */
    private static Batch padded(int[] ids, int pad) {
        int width = (ids.length + 3) / 4 * 4;
        int[] padded = Arrays.copyOf(ids, width);
        Arrays.fill(padded, ids.length, width, Math.max(0, pad));
        int[] mask = new int[width];
        Arrays.fill(mask, 0, ids.length, 1);
        return new Batch(new int[][] {padded}, new int[][] {mask});
    }

    private static Batch single(int[] ids) {
        int[] mask = new int[ids.length];
        Arrays.fill(mask, 1);
        return new Batch(new int[][] {ids}, new int[][] {mask});
    }

    private static float maxError(float[] expected, float[] actual) {
        float worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        return worst;
    }
}
