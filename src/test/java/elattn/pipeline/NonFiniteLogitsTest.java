package elattn.pipeline;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.generate.Batch;
import elattn.generate.GenerationConfig;
import elattn.model.CheckpointException;
import elattn.model.Precision;
import elattn.model.device.AttentionMode;
import elattn.runtime.Device;
import elattn.testing.PoisonedWeights;
import elattn.testing.TestDevices.TestDevice;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A checkpoint with a NaN weight: refused at load with the tensor named; loaded anyway (weight
 * check off), every logit is NaN and both searches stop with a clear error on every device,
 * instead of an index out of bounds (the JVM), empty outputs (beam search) or garbage.
 */
class NonFiniteLogitsTest {
    private static final String TENSOR = "model.decoder.layers.1.fc2.bias";

    @TempDir
    Path tmp;

    private Path poisonedBart() throws IOException {
        Path dir = PoisonedWeights.copy(Path.of("src/test/resources/oracle/bart"), tmp.resolve("bart"));
        PoisonedWeights.poison(dir.resolve("model.safetensors"), TENSOR, 3, Float.NaN);
        return dir;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void nanWeightsAreRefusedAtLoadOrStopTheSearchClearly(TestDevice device) throws IOException {
        Device on = device.get(); // a missing device skips here, not inside assertThrows
        Path dir = poisonedBart();
        CheckpointException refused = assertThrows(CheckpointException.class,
                () -> Pipeline.open(dir, on, AttentionMode.EL));
        assertTrue(refused.getMessage().contains("tensor " + TENSOR + " holds NaN at element 3"), refused.getMessage());
        Batch batch = new Batch(new int[][]{{0, 31, 41, 59, 2}}, new int[][]{{1, 1, 1, 1, 1}});
        try (Pipeline bart = Pipeline.open(dir, on, AttentionMode.EL, Precision.FP32, false)) {
            for (int beams : new int[]{1, 4}) {
                GenerationConfig config = bart.generationConfig().toBuilder().numBeams(beams).maxNewTokens(5)
                        .forcedBosTokenId(null).build();
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> bart.generate(batch, config),
                        beams + " beams");
                assertTrue(e.getMessage().startsWith("the model scored no token for row 0 after 1 decoder tokens"),
                        e.getMessage());
                assertTrue(e.getMessage().contains("logits are not finite"), e.getMessage());
            }
        }
    }
}
