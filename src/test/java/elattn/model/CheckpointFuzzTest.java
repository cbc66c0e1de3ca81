package elattn.model;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.generate.GenerationConfig;
import elattn.testing.Fuzz;
import elattn.testing.JsonMutations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzing of checkpoint loading as {@code Pipeline.open} does it (see {@link Fuzz}): the oracle
 * checkpoints with a mutated {@code config.json}, a mutated safetensors header (shapes and dtypes
 * that disagree with the config, offsets that do not fit) or a mutated shard index. Every case must
 * load or fail with a {@link CheckpointException} (or, for the generation keys of config.json, the
 * {@link IllegalArgumentException} of {@link GenerationConfig}) of one line naming a file of the
 * checkpoint.
 */
class CheckpointFuzzTest {
    @TempDir
    Path tmp;

    private static Fuzz.Run run(Path dir) {
        return Fuzz.run(dir.toString(), List.of(CheckpointException.class, IllegalArgumentException.class));
    }

    /** What {@code Pipeline.open} reads, in its order; half of the cases in fp16. */
    private static void load(Path dir, boolean half) {
        try (Checkpoint c = Checkpoint.open(dir)) {
            ModelConfig config = ModelConfig.of(c);
            if (half) {
                ModelWeights.load(c, config, Precision.FP16);
            } else {
                ModelWeights.load(c, config, Precision.FP32);
            }
            GenerationConfig.fromCheckpoint(dir);
        }
    }

    private static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    /** Cases of {@code file} of the checkpoint in {@code dir} mutated, loaded in fp32 or fp16 at random. */
    private static void mutate(Path dir, String file, String generator, int tries) throws IOException {
        Path target = dir.resolve(file);
        JsonObject valid = json(target);
        Fuzz.Run run = run(dir);
        SplittableRandom r = Fuzz.random(generator);
        for (int i = 0; i < Fuzz.tries(tries); i++) {
            JsonMutations.Mutant m = JsonMutations.mutate(valid, r);
            boolean half = r.nextBoolean();
            run.check(generator + " mutant " + i + ": " + m.description(), () -> {
                Files.write(target, m.bytes());
                load(dir, half);
            });
        }
        run.assertAllEndedWell();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bart", "gpt2", "marian"})
    void mutatedConfigJson(String family) throws IOException {
        mutate(Oracle.copy(family, tmp), "config.json", family + " config.json", 150);
    }

    /**
     * Every number of config.json in turn set to values at and past the edges of what it can be
     * (sizes that overflow an int when multiplied, a position table of 2^31 rows, fractions), for a
     * decoder-only model and for the encoder-decoder whose position table is computed (Marian).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "marian"})
    void everyConfigNumberAtTheEdges(String family) throws IOException {
        Path dir = Oracle.copy(family, tmp);
        Path config = dir.resolve("config.json");
        JsonObject valid = json(config);
        Fuzz.Run run = run(dir);
        for (String key : valid.keySet()) {
            if (!valid.get(key).isJsonPrimitive() || !valid.get(key).getAsJsonPrimitive().isNumber()) {
                continue;
            }
            for (Number edge : new Number[] {-1, 0, Integer.MAX_VALUE, 1L << 31, 50_000_000, 0.5}) {
                JsonObject mutant = valid.deepCopy();
                mutant.addProperty(key, edge);
                run.check(family + " config.json with " + key + " = " + edge, () -> {
                    Files.writeString(config, mutant.toString());
                    load(dir, false);
                });
            }
        }
        run.assertAllEndedWell();
    }

    @Test
    void mutatedWeightHeaders() throws IOException {
        Path dir = Oracle.copy("bart", tmp);
        Path weights = dir.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        int headerLength = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonObject header = JsonParser.parseString(new String(bytes, 8, headerLength, StandardCharsets.UTF_8))
                .getAsJsonObject();
        byte[] data = java.util.Arrays.copyOfRange(bytes, 8 + headerLength, bytes.length);
        Fuzz.Run run = run(dir);
        SplittableRandom r = Fuzz.random("bart weights header");
        for (int i = 0; i < Fuzz.tries(150); i++) {
            JsonMutations.Mutant m = JsonMutations.mutate(header, r);
            byte[] file = ByteBuffer.allocate(8 + m.bytes().length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(m.bytes().length).put(m.bytes()).put(data).array();
            run.check("bart header mutant " + i + ": " + m.description(), () -> {
                Files.write(weights, file);
                load(dir, false);
            });
        }
        run.assertAllEndedWell();
    }

    @Test
    void mutatedShardIndex() throws IOException {
        mutate(Oracle.copy("gpt2-sharded", tmp), "model.safetensors.index.json", "shard index", 100);
    }
}
