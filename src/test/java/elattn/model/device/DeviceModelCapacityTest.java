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
 * A retained plan runs later batches that fit its capacity (a narrower source, and fewer sentences;
 * a narrower prompt, within the steps the generation leaves free) padded into its arrays, without
 * uploading the weights again, and the padding changes nothing: every sequence and sequence score is bit for bit what the batch gives alone in
 * a model of its own, whose plan is sized for it. In both modes, on every test device; the HF
 * oracle cases (DeviceModelGenerationTest) run through retained models of the same kind.
 */
class DeviceModelCapacityTest {
    private static final long SEED = 41;
    private static final int NEW_TOKENS = 6;

    @TestFactory
    Stream<DynamicTest> paddedBatchesGiveWhatTheyGiveAlone() {
        return forEveryModel(DeviceModelCapacityTest::check);
    }

    /** A check of one family in one mode on one device. */
    private interface ModelCheck {
        void run(String family, AttentionMode mode, TestDevice device);
    }

    /** {@code check} for every family and attention mode on every test device. */
    private static Stream<DynamicTest> forEveryModel(ModelCheck check) {
        List<DynamicTest> tests = new ArrayList<>();
        TestDevices.devices().forEach(device -> OracleCases.FAMILIES.forEach(family -> {
            for (AttentionMode mode : AttentionMode.values()) {
                tests.add(DynamicTest.dynamicTest(family + " " + mode + " on " + device,
                        () -> check.run(family, mode, device)));
            }
        }));
        return tests.stream();
    }

    /**
     * A batch too wide for the retained plan gets a plan of its own, which reads the weights the
     * first plan copied ({@link elattn.runtime.SharedBuffers}): they do not cross the bus again, and
     * the batch's sequences and scores are bit for bit a fresh model's.
     */
    @TestFactory
    Stream<DynamicTest> aNewPlanReadsTheWeightsAlreadyOnTheDevice() {
        return forEveryModel(DeviceModelCapacityTest::checkNewPlan);
    }

    private static void checkNewPlan(String family, AttentionMode mode, TestDevice device) {
        ModelConfig config = OracleModels.get(family).config();
        GenerationConfig generation = generation(config);
        int pad = config.padTokenId() >= 0 ? config.padTokenId() : config.eosTokenId();
        Random random = new Random(SEED + 1);
        Batch narrow = batch(random, config, 2, 11, pad);
        Batch wide = batch(random, config, 3, 40, pad); // a plan 40 wide: past the narrow plan's capacity
        GenerationResult alone;
        DeviceModel own = OracleModels.model(family, device.get(), mode, 2);
        try {
            alone = Generator.generate(own, wide, generation);
        } finally {
            own.release();
        }
        DeviceModel retained = OracleModels.model(family, device.get(), mode, 2).retainDeviceMemory(true);
        try {
            Generator.generate(retained, narrow, generation);
            List<ExecutionResult> executes = new ArrayList<>();
            GenerationResult again = ExecutionPlan.observe(executes::add,
                    () -> Generator.generate(retained, wide, generation));
            long uploaded = executes.stream().mapToLong(ExecutionResult::getBytesToDevice).sum();
            assertTrue(uploaded < retained.weightBytes(), uploaded + " bytes sent: the weights went again");
            assertTrue(retained.deviceBytes() > retained.weightBytes(), "the weights and the new plan's buffers");
            for (int s = 0; s < alone.sequences().length; s++) {
                assertArrayEquals(alone.generated(s, 0), again.generated(s, 0), "sentence " + s);
            }
            assertArrayEquals(alone.sequenceScores(), again.sequenceScores(), "sequence scores");
        } finally {
            retained.release();
        }
        assertEquals(0, retained.deviceBytes(), "release frees the plan and the weights");
    }

    private static GenerationConfig generation(ModelConfig config) {
        boolean encoderDecoder = config.encoderDecoder();
        int pad = config.padTokenId() >= 0 ? config.padTokenId() : config.eosTokenId();
        GenerationConfig.Builder builder = GenerationConfig.defaults(encoderDecoder).toBuilder().numBeams(2)
                .maxNewTokens(NEW_TOKENS).eosTokenIds(config.eosTokenId()).padTokenId(pad);
        return (encoderDecoder ? builder.decoderStartTokenId(config.decoderStartTokenId()) : builder).build();
    }

    private static void check(String family, AttentionMode mode, TestDevice device) {
        ModelConfig config = OracleModels.get(family).config();
        boolean encoderDecoder = config.encoderDecoder();
        int pad = config.padTokenId() >= 0 ? config.padTokenId() : config.eosTokenId();
        GenerationConfig generation = generation(config);
        Random random = new Random(SEED);
        // 20 tokens make a plan 24 wide; 11 (rounded: 16) fit it. A source batch may have fewer sentences
        // than its plan, a prompt batch as many (and the prompt's padding takes decoder steps).
        Batch wide = batch(random, config, encoderDecoder ? 3 : 2, 20, pad);
        Batch narrow = batch(random, config, 2, 11, pad);

        GenerationResult alone;
        DeviceModel own = OracleModels.model(family, device.get(), mode, 2).generationSteps(NEW_TOKENS);
        try {
            alone = Generator.generate(own, narrow, generation);
        } finally {
            own.release();
        }

        DeviceModel shared = OracleModels.model(family, device.get(), mode, 2).generationSteps(NEW_TOKENS)
                .retainDeviceMemory(true);
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
                assertArrayEquals(alone.generated(s, 0), padded.generated(s, 0), "sentence " + s);
            }
            assertArrayEquals(alone.sequenceScores(), padded.sequenceScores(), "sequence scores");
        } finally {
            shared.release();
        }
    }

    /**
     * Random in-vocabulary tokens, each sentence a different length up to {@code width}, ending in
     * EOS, padded with {@code pad} as HF pads: a source on the right, a prompt on the left.
     */
    private static Batch batch(Random random, ModelConfig config, int sentences, int width, int pad) {
        int[][] ids = new int[sentences][width];
        int[][] mask = new int[sentences][width];
        for (int s = 0; s < sentences; s++) {
            int length = width - 3 * s;
            int first = config.encoderDecoder() ? 0 : width - length;
            for (int j = 0; j < width; j++) {
                boolean real = j >= first && j < first + length;
                ids[s][j] = !real ? pad : j == first + length - 1 ? config.eosTokenId()
                        : 4 + random.nextInt(config.vocabSize() - 4);
                mask[s][j] = real ? 1 : 0;
            }
        }
        return new Batch(ids, mask);
    }
}
