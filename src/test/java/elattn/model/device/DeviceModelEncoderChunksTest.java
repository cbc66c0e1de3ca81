package elattn.model.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import elattn.generate.Batch;
import elattn.generate.OracleCases;
import elattn.model.ModelConfig;
import elattn.runtime.Devices;
import elattn.runtime.ExecutionPlan;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The encoder run over chunks of sentences ({@link DeviceModel#encoderChunkLimit}): HF generation
 * cases of the encoder-decoder families stay token for token (EL and MHA side by side,
 * {@link TwinModel}) with chunks of 1 and of 2 sentences, so that the three-sentence batches end
 * with a partial chunk, on every test device in its kernel forms; and with chunks of 2 in the
 * work-group forms on the non-JVM devices. The cases are those of {@link DeviceModelGroupFormsTest}
 * (one and three sentences, greedy and beam search; the other cases differ only in the search,
 * which the encoder does not see). The oracle models are so small that the budget puts a whole
 * batch in one chunk, which {@link DeviceModelGenerationTest} runs.
 */
class DeviceModelEncoderChunksTest {
    private static Stream<String> encoderDecoderFamilies() {
        return OracleCases.FAMILIES.stream().filter(f -> OracleModels.get(f).config().encoderDecoder());
    }

    private static List<OracleCases.Case> cases(String family) {
        return OracleCases.cases(family).stream().filter(c -> DeviceModelGroupFormsTest.CASES.contains(c.name()))
                .toList();
    }

    @TestFactory
    Stream<DynamicNode> oracleCasesInChunks() {
        return TestDevices.devices().map(device -> inChunks(device, List.of(1, 2), chunk -> encoderDecoderFamilies()
                .map(family -> OracleModels.twinCases(family, cases(family),
                        (mode, beams) -> OracleModels.model(family, device.get(), mode, beams)
                                .encoderChunkLimit(chunk),
                        "(chunks of " + chunk + ") on " + device))));
    }

    @TestFactory
    Stream<DynamicNode> groupFormsInChunks() {
        return TestDevices.devices().filter(d -> d.device() == null || !d.device().id().equals("jvm"))
                .map(device -> inChunks(device, List.of(2), chunk -> encoderDecoderFamilies()
                        .map(family -> OracleModels.twinCases(family, cases(family),
                                (mode, beams) -> DeviceModelGroupFormsTest.groupForms(family, device, mode, beams)
                                        .encoderChunkLimit(chunk),
                                "(group forms, chunks of " + chunk + ") on " + device))));
    }

    private static DynamicNode inChunks(TestDevice device, List<Integer> chunks,
            Function<Integer, Stream<DynamicNode>> families) {
        return DynamicContainer.dynamicContainer(device.toString(), chunks.stream()
                .map(chunk -> DynamicContainer.dynamicContainer("chunks of " + chunk, families.apply(chunk))));
    }

    /**
     * A three-sentence batch runs the encoder graph once per chunk (MHA's projection of H once),
     * and its device memory shrinks by exactly the encoder scratch of the sentences a chunk no
     * longer holds: {@code width x (6 d + ffn + heads x width)} floats and four int tables per sentence.
     */
    @ParameterizedTest
    @EnumSource(AttentionMode.class)
    void encoderRunsOncePerChunkWithChunkSizedScratch(AttentionMode mode) {
        ModelConfig config = OracleModels.get("bart").config();
        Batch batch = OracleCases.cases("bart").stream().filter(c -> c.name().equals("greedy_batch")).findFirst()
                .orElseThrow().batch();
        assertEquals(3, batch.sentences());
        long[] bytes = new long[4];
        for (int chunk = 1; chunk <= 3; chunk++) {
            List<String> graphs = new ArrayList<>();
            try (DeviceModel model = OracleModels.model("bart", Devices.byId("jvm"), mode, 1)
                    .encoderChunkLimit(chunk)) {
                ExecutionPlan.observe(r -> graphs.addAll(r.getGraphNames()),
                        () -> model.start(batch, 1, OracleModels.logitsRequest(batch.sentences(), 1)));
                bytes[chunk] = model.deviceBytes();
            }
            int runs = (3 + chunk - 1) / chunk;
            List<String> expected = new ArrayList<>(List.of(DecoderGraph.BATCH));
            IntStream.range(0, runs).forEach(i -> expected.add(EncoderGraph.NAME));
            if (mode == AttentionMode.MHA) {
                expected.add(EncoderGraph.CROSS);
            }
            expected.add(DecoderGraph.NAME);
            assertEquals(expected, graphs, "chunks of " + chunk);
        }
        long w = BatchLayout.Capacity.of(config, batch, -1).width(); // the source width rounded up
        long perSentence = w * (6L * config.dModel() + config.encoderFfn() + (long) config.encoderHeads() * w)
                * Float.BYTES + 4 * w * Integer.BYTES;
        // A chunk of 3 keeps one chunk offset, a chunk of 1 three (one per chunk).
        assertEquals(2 * perSentence - 2 * Integer.BYTES, bytes[3] - bytes[1], "3 vs 1 sentence per chunk");
        assertEquals(perSentence - Integer.BYTES, bytes[3] - bytes[2], "3 vs 2 sentences per chunk");
    }
}
