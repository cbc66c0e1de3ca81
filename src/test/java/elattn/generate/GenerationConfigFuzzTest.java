package elattn.generate;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.testing.Fuzz;
import elattn.testing.JsonMutations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzing of {@link GenerationConfig#fromCheckpoint} (see {@link Fuzz}): the oracle checkpoints'
 * {@code generation_config.json} mutated, and their {@code config.json} mutated with no
 * generation_config.json beside it (its generation keys are then read). Every case must read or fail
 * with an {@link IllegalArgumentException} of one line naming the mutated file.
 */
class GenerationConfigFuzzTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"bart/generation_config.json", "gpt2/generation_config.json", "marian/config.json",
            "gpt2/config.json"})
    void mutatedFile(String which) throws IOException {
        String family = which.substring(0, which.indexOf('/'));
        String name = which.substring(which.indexOf('/') + 1);
        Path dir = Files.createDirectories(tmp.resolve(family));
        Files.copy(OracleCases.checkpoint(family).resolve("config.json"), dir.resolve("config.json"));
        if (name.equals("generation_config.json")) {
            Files.copy(OracleCases.checkpoint(family).resolve(name), dir.resolve(name));
        }
        Path file = dir.resolve(name);
        JsonObject valid = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        Fuzz.Run run = Fuzz.run(file.toString(), List.of(IllegalArgumentException.class));
        SplittableRandom r = Fuzz.random("generation " + which);
        for (int i = 0; i < Fuzz.tries(200); i++) {
            JsonMutations.Mutant m = JsonMutations.mutate(valid, r);
            run.check(which + " mutant " + i + ": " + m.description(), () -> {
                Files.write(file, m.bytes());
                GenerationConfig.fromCheckpoint(dir);
            });
        }
        run.assertAllEndedWell();
    }
}
