package elattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.generate.Batch;
import elattn.generate.GenerationConfig;
import elattn.generate.GenerationResult;
import elattn.generate.Generator;
import elattn.model.Checkpoint;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.model.Precision;
import elattn.model.ReferenceModel;
import elattn.model.device.AttentionMode;
import elattn.runtime.Devices;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The model's limits through the few-lines API: 32 beams (64 candidates per row, the device's
 * most) give the double-precision reference model's hypotheses; 33 beams, and a prompt whose new
 * tokens run past the positions, are refused before anything runs, with the limit named.
 */
class GenerationLimitsTest {
    private static final Path BART = Path.of("src/test/resources/oracle/bart");
    private static final Path GPT2 = Path.of("src/test/resources/oracle/gpt2");

    @Test
    void thirtyTwoBeamsMatchTheReferenceModel() {
        Batch batch = new Batch(new int[][]{{0, 31, 41, 59, 26, 2}, {0, 400, 12, 2, 1, 1}},
                new int[][]{{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}});
        try (Pipeline bart = Pipeline.open(BART, Devices.byId("jvm"), AttentionMode.EL);
             Checkpoint c = Checkpoint.open(BART)) {
            GenerationConfig config = bart.generationConfig().toBuilder().numBeams(32).numReturnSequences(32)
                    .maxNewTokens(6).build();
            GenerationResult device = bart.generate(batch, config);
            ModelConfig mc = ModelConfig.of(c);
            GenerationResult reference = Generator.generate(new ReferenceModel(mc, ModelWeights.load(c, mc,
                    Precision.FP32)), batch, config);
            assertArrayEquals(reference.sequences(), device.sequences());
            float[] expected = reference.sequenceScores();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], device.sequenceScores()[i], 1e-4, "score " + i);
            }
        }
    }

    @Test
    void moreBeamsThanTheDeviceSelectsAreRefusedBeforeAnyWork() {
        try (Pipeline bart = Pipeline.open(BART, Devices.byId("jvm"), AttentionMode.EL)) {
            GenerationConfig config = bart.generationConfig().toBuilder().numBeams(33).build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bart.validate(config));
            assertEquals("num_beams 33 needs 66 candidates per row and step (2 per beam); the model selects at most 64,"
                    + " so num_beams can be at most 32", e.getMessage());
            Batch batch = new Batch(new int[][]{{0, 31, 2}}, new int[][]{{1, 1, 1}});
            assertThrows(IllegalArgumentException.class, () -> bart.generate(batch, config));
            assertEquals(0, bart.peakDeviceBytes(), "nothing ran");
        }
    }

    @Test
    void aPromptWithoutRoomForItsNewTokensIsRefusedBeforeAnyWork() {
        try (Pipeline gpt2 = Pipeline.open(GPT2, Devices.byId("jvm"), AttentionMode.EL)) {
            int[] prompt = new int[60];
            int[] mask = new int[60];
            java.util.Arrays.fill(prompt, 7);
            java.util.Arrays.fill(mask, 1);
            GenerationConfig config = gpt2.generationConfig().toBuilder().maxNewTokens(10).build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> gpt2.generate(new Batch(new int[][]{prompt}, new int[][]{mask}), config));
            assertEquals("a prompt of 60 tokens and max_new_tokens 10 need 70 positions; the model has 64: shorten the"
                    + " prompt to at most 54 tokens or ask for fewer new tokens", e.getMessage());
            assertEquals(0, gpt2.peakDeviceBytes(), "nothing ran");
            GenerationResult fits = gpt2.generate(new Batch(new int[][]{java.util.Arrays.copyOf(prompt, 54)},
                    new int[][]{java.util.Arrays.copyOf(mask, 54)}), config);
            assertTrue(fits.sequences()[0].length <= 64, "at most the positions");
        }
    }
}
