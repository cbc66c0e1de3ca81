package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import elattn.testing.PoisonedWeights;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint with a NaN weight: refused when loaded, naming the file and tensor; with
 * {@code --no-check-weights} it loads and the search stops at the first step with one line
 * (greedy and beam search), not an internal error or empty outputs.
 */
class DamagedWeightsTest {
    @TempDir
    Path tmp;

    @Test
    void nanWeightIsRefusedAtLoadAndNoCheckWeightsFailsClearlyInTheSearch() throws IOException {
        Path bart = TinyCheckpoints.bart(tmp.resolve("bart"));
        Path weights = bart.resolve("model.safetensors");
        PoisonedWeights.poison(weights, "model.decoder.layers.1.fc2.bias", 3, Float.NaN);
        CliRun refused = CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "text");
        assertEquals(1, refused.code(), refused.toString());
        assertEquals("elattn: " + weights + ": tensor model.decoder.layers.1.fc2.bias holds NaN at element 3 of 64: the"
                + " weights are damaged (download or convert the checkpoint again); --no-check-weights loads them anyway",
                refused.err().strip());
        for (String beams : new String[]{"1", "3"}) {
            CliRun r = CliRun.run("summarize", "--model", bart.toString(), "--device", "jvm", "--no-check-weights",
                    "--num-beams", beams, "text");
            assertEquals(1, r.code(), r.toString());
            assertEquals(1, r.err().lines().count(), r.err());
            // The first token is forced (forced_bos_token_id), so the second step is the first that fails.
            assertEquals("elattn: the model scored no token for row 0 after 2 decoder tokens (best candidate: token -1,"
                    + " score -Infinity): its logits are not finite; the weights may hold NaN or infinite values (load"
                    + " them with the weight check on) or the activations overflow", r.err().strip());
            assertFalse(r.out().contains("["), "no output: " + r.out());
        }
    }
}
