package elattn.model.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.generate.Batch;
import elattn.generate.GenerationConfig;
import elattn.generate.GenerationResult;
import elattn.generate.Generator;
import elattn.generate.OracleCases;
import elattn.model.ModelConfig;
import elattn.runtime.ExecutionPlan;
import elattn.runtime.ExecutionResult;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A retained encoder-decoder plan runs later batches that fit its capacity (fewer sentences, a
 * narrower source) padded into its arrays, without uploading the weights again, and the padding
 * changes nothing: every sequence and sequence score is bit for bit what the batch gives alone in
 * a model of its own, whose plan is sized for it. In both modes, on every test device; the HF
 * oracle cases (DeviceModelGenerationTest) run through retained models of the same kind.
 */
class DeviceModelCapacityTest {
    private static final long SEED = 41;

    @TestFactory
    Stream<DynamicTest> paddedBatchesGiveWhatTheyGiveAlone() {
        List<DynamicTest> tests = new ArrayList<>();
        TestDevices.devices().forEach(device -> OracleCases.FAMILIES.stream()
                .filter(f -> OracleModels.get(f).config().encoderDecoder())
                .forEach(family -> {
                    for (AttentionMode mode : AttentionMode.values()) {
                        tests.add(DynamicTest.dynamicTest(family + " " + mode + " on " + device,
                                () -> check(family, mode, device)));
                    }
                }));
        return tests.stream();
    }

    private static void check(String family, AttentionMode mode, TestDevice device) {
        ModelConfig config = OracleModels.get(family).config();
        GenerationConfig generation = GenerationConfig.defaults(true).toBuilder().numBeams(2).maxLength(8).decoderStartTokenId(config.decoderStartTokenId()).eosTokenIds(config.eosTokenId())
                .padTokenId(config.padTokenId()).build();
        Random random = new Random(SEED);
        // 3 sentences of 20 tokens make a plan of width 24; 2 sentences of 11 (rounded: 16) fit it.
        Batch wide = batch(random, config, 3, 20);
        Batch narrow = batch(random, config, 2, 11);

        GenerationResult alone;
        DeviceModel own = OracleModels.model(family, device.get(), mode, 2);
        try {
            alone = Generator.generate(own, narrow, generation);
        } finally {
            own.release();
        }

        DeviceModel shared = OracleModels.model(family, device.get(), mode, 2).retainDeviceMemory(true);
        try {
            Generator.generate(shared, wide, generation);
            long bytes = shared.deviceBytes();
            CacheBytes state = shared.cacheBytes();
            List<ExecutionResult> executes = new ArrayList<>();
            GenerationResult padded = ExecutionPlan.observe(executes::add,
                    () -> Generator.generate(shared, narrow, generation));
            assertEquals(bytes, shared.deviceBytes(), "the batch ran in the first batch's buffers");
            long uploaded = executes.stream().mapToLong(ExecutionResult::getBytesToDevice).sum();
            assertTrue(uploaded < shared.weightBytes(), uploaded + " bytes sent: the weights went again");
            assertEquals(state, shared.cacheBytes(), "the narrow batch ran in the wide one's layout");
            for (int s = 0; s < alone.sequences().length; s++) {
                assertArrayEquals(alone.sequences()[s], padded.sequences()[s], "sequence " + s);
            }
            assertArrayEquals(alone.sequenceScores(), padded.sequenceScores(), "sequence scores");
        } finally {
            shared.release();
        }
    }

    /** Random in-vocabulary tokens, each sentence a different length up to {@code width}, ending in EOS. */
    private static Batch batch(Random random, ModelConfig config, int sentences, int width) {
        int[][] ids = new int[sentences][width];
        int[][] mask = new int[sentences][width];
        for (int s = 0; s < sentences; s++) {
            int length = width - 3 * s;
            for (int j = 0; j < width; j++) {
                boolean real = j < length;
                ids[s][j] = !real ? config.padTokenId() : j == length - 1 ? config.eosTokenId()
                        : 4 + random.nextInt(config.vocabSize() - 4);
                mask[s][j] = real ? 1 : 0;
            }
        }
        return new Batch(ids, mask);
    }
}
