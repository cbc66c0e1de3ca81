package elattn.model.device;

import static elattn.testing.HostArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import elattn.generate.Batch;
import elattn.generate.Candidates;
import elattn.generate.OracleCases;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The GPU forms of the graphs ({@link KernelForms#GROUP}: work-group attention forms, work-group layer norm,
 * decode linears and top-k, with their grids resized every step) forced on the non-GPU test
 * devices, through a subset of the HF generation cases of every family: greedy and beam search,
 * padded batches (masked keys, rows without keys in GPT-2's padded prompt steps) and sentences
 * that finish early (the live row count shrinks). EL runs with the form thresholds lowered
 * ({@link #forEveryForm}) so that the tiny models take every form of the products with weights
 * (tiled LM head, 64 x 64 register-blocked fc1 and EL projections, per-output d-wide linears), MHA
 * with the default ones (per-output linears everywhere); they run side by side ({@link TwinModel}),
 * as in {@link DeviceModelGenerationTest}. Not on the JVM device: it runs work-group kernels with a
 * thread per work item (minutes per case); its loop forms are what it uses, and the kernels' own
 * tests run their work-group forms there.
 */
class DeviceModelGroupFormsTest {
    /**
     * The test models (d 48 or 64, ffn 96 or 128, vocab 512, 4 heads) at these thresholds: the LM head
     * has 4 blocks of 128 x 128 (tiled), fc1 2 of 64 x 64 and EL's projections 4 (register-blocked),
     * the d-wide linears of the decode step 1 (per-output).
     */
    static DeviceModel forEveryForm(DeviceModel model) {
        return model.kernelForms(KernelForms.GROUP).tiledMinBlocks(4).blockedMinBlocks(2);
    }

    static final Set<String> CASES = Set.of("greedy_batch", "beam4", "beam2_batch",
            "beam4_num_return_sequences_2");

    @TestFactory
    Stream<DynamicNode> oracleCasesWithGroupForms() {
        return TestDevices.devices().filter(d -> d.device() == null || !d.device().id().equals("jvm"))
                .map(device -> DynamicContainer.dynamicContainer(device.toString(),
                OracleCases.FAMILIES.stream().map(family -> familyCases(device, family))));
    }

    /**
     * EL's cross-attention in the blocked forms ({@link DeviceModel#rowAttentionForSharedKeys}), which
     * the plans of these small models (fewer lanes per sentence than a block) would not take: the
     * encoder-decoder families' cases stay HF's, token for token, beside MHA.
     */
    @TestFactory
    Stream<DynamicNode> oracleCasesWithCrossAttentionInBlockedForms() {
        return TestDevices.devices().filter(d -> d.device() == null || !d.device().id().equals("jvm"))
                .map(device -> DynamicContainer.dynamicContainer(device.toString(),
                        OracleCases.FAMILIES.stream().filter(f -> OracleModels.get(f).config().encoderDecoder())
                                .map(family -> OracleModels.twinCases(family, cases(family),
                                        (mode, beams) -> groupForms(family, device, mode, beams)
                                                .rowAttentionForSharedKeys(false),
                                        "(group forms, cross-attention in blocked forms) on " + device))));
    }

    /**
     * Products split along their depth ({@link KernelLaunches#splits}, parts 16 deep so that the tiny
     * models split: fc2 into 6 or 8 parts, d-deep products into 3 or 4) with every form, in both
     * modes: the cases stay HF's, token for token.
     */
    @TestFactory
    Stream<DynamicNode> oracleCasesWithSplitProducts() {
        KernelLaunches.Split deep16 = new KernelLaunches.Split(KernelLaunches.SPLIT_TARGET_BLOCKS, 16);
        return TestDevices.devices().filter(d -> d.device() == null || !d.device().id().equals("jvm"))
                .map(device -> DynamicContainer.dynamicContainer(device.toString(),
                        OracleCases.FAMILIES.stream().map(family -> OracleModels.twinCases(family, cases(family),
                                (mode, beams) -> forEveryForm(OracleModels.model(family, device.get(), mode, beams))
                                        .split(deep16),
                                "(split products) on " + device))));
    }

    /**
     * fp16 weights: the work-group forms (every form, {@link #forEveryForm}) give the loop forms'
     * logits within 1e-4 over six greedy steps of a padded batch, in both attention modes.
     */
    @TestFactory
    Stream<DynamicNode> halfWeightsGroupFormsEqualLoopForms() {
        return TestDevices.devices().filter(d -> d.device() == null || !d.device().id().equals("jvm"))
                .map(device -> DynamicContainer.dynamicContainer(device.toString(),
                        OracleCases.FAMILIES.stream().flatMap(family -> Stream.of(AttentionMode.values())
                                .map(mode -> DynamicTest.dynamicTest(family + " " + mode,
                                        () -> halfLogits(device, family, mode))))));
    }

    private static void halfLogits(TestDevice device, String family, AttentionMode mode) {
        Batch batch = OracleCases.cases(family).stream().filter(c -> c.name().equals("greedy_batch")).findFirst()
                .orElseThrow().batch();
        DeviceModel loop = OracleModels.halfModel(family, device.get(), mode, 1).kernelForms(KernelForms.LOOP);
        DeviceModel group = forEveryForm(OracleModels.halfModel(family, device.get(), mode, 1));
        try (loop; group) {
            int rows = batch.sentences();
            Candidates a = loop.start(batch, 1, OracleModels.logitsRequest(rows, 1));
            Candidates b = group.start(batch, 1, OracleModels.logitsRequest(rows, 1));
            int[] parents = new int[rows];
            java.util.Arrays.setAll(parents, r -> r);
            for (int step = 0; step < 6; step++) {
                assertClose(a.logits(), b.logits(), 1e-4f, family + " " + mode + " fp16 step " + step + " on " + device);
                int[] tokens = new int[rows];
                for (int r = 0; r < rows; r++) {
                    tokens[r] = a.token(r, 0);
                }
                a = loop.next(tokens, parents, OracleModels.logitsRequest(rows, 1));
                b = group.next(tokens, parents, OracleModels.logitsRequest(rows, 1));
            }
        }
    }

    private static DynamicNode familyCases(TestDevice device, String family) {
        return OracleModels.twinCases(family, cases(family), (mode, beams) -> groupForms(family, device, mode, beams),
                "(group forms) on " + device);
    }

    private static List<OracleCases.Case> cases(String family) {
        return OracleCases.cases(family).stream().filter(c -> CASES.contains(c.name())).toList();
    }

    /** EL with every product form ({@link #forEveryForm}), MHA with the per-output form of the decode step. */
    static DeviceModel groupForms(String family, TestDevice device, AttentionMode mode, int beams) {
        DeviceModel model = OracleModels.model(family, device.get(), mode, beams).kernelForms(KernelForms.GROUP);
        assertEquals(KernelForms.GROUP, model.kernelForms());
        return mode == AttentionMode.EL ? forEveryForm(model) : model;
    }
}
