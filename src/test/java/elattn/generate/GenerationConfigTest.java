package elattn.generate;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerationConfigTest {
    private static JsonObject json(String s) {
        return JsonParser.parseString(s).getAsJsonObject();
    }

    @Test
    void readsTheOracleCheckpoints() {
        GenerationConfig bart = GenerationConfig.fromCheckpoint(OracleCases.checkpoint("bart"));
        assertTrue(bart.encoderDecoder());
        assertEquals(4, bart.numBeams());
        assertEquals(GenerationConfig.EarlyStopping.TRUE, bart.earlyStopping());
        assertEquals(2.0, bart.lengthPenalty());
        assertEquals(0, bart.forcedBosTokenId());
        assertArrayEquals(new int[]{2}, bart.forcedEosTokenIds());
        assertEquals(new GenerationConfig.Lengths(1, 24, 4), bart.lengths(1));

        GenerationConfig marian = GenerationConfig.fromCheckpoint(OracleCases.checkpoint("marian"));
        assertArrayEquals(new int[][]{{511}}, marian.badWordsIds());
        assertEquals(511, marian.decoderStart());

        GenerationConfig gpt2 = GenerationConfig.fromCheckpoint(OracleCases.checkpoint("gpt2"));
        assertFalse(gpt2.encoderDecoder());
        assertNull(gpt2.padTokenId());
        assertEquals(511, gpt2.effectivePad());
        // HF's default max_length 20 gets the prompt width added, capped at n_positions (64).
        assertEquals(28, gpt2.lengths(8).max());
        assertEquals(64, gpt2.lengths(60).max());
        // ... but not when the caller sets it, and max_new_tokens wins over both.
        assertEquals(20, gpt2.withOverrides(json("{\"max_length\": 20}")).lengths(8).max());
        assertEquals(11, gpt2.withOverrides(json("{\"max_length\": 20, \"max_new_tokens\": 3}")).lengths(8).max());
        assertEquals(18, gpt2.withOverrides(json("{\"min_new_tokens\": 10}")).lengths(8).min());
    }

    @Test
    void fallsBackToConfigJsonWithoutGenerationConfig() {
        JsonObject model = json("{\"is_encoder_decoder\": true, \"eos_token_id\": [2, 3], \"decoder_start_token_id\": 2,"
                + " \"num_beams\": 5, \"max_position_embeddings\": 100, \"d_model\": 64}");
        GenerationConfig c = GenerationConfig.fromJson(null, model);
        assertEquals(5, c.numBeams());
        assertArrayEquals(new int[]{2, 3}, c.eosTokenIds());
        assertEquals(2, c.decoderStart());
        assertEquals(100, c.maxPositionEmbeddings());
    }

    @Test
    void overridesFieldByFieldAndNullSwitchesOff() {
        GenerationConfig bart = GenerationConfig.fromCheckpoint(OracleCases.checkpoint("bart"))
                .withOverrides(json("{\"num_beams\": 2, \"early_stopping\": \"never\", \"forced_bos_token_id\": null}"));
        assertEquals(2, bart.numBeams());
        assertEquals(GenerationConfig.EarlyStopping.NEVER, bart.earlyStopping());
        assertNull(bart.forcedBosTokenId());
        assertEquals(3, bart.toBuilder().numBeams(3).build().numBeams());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bart.withOverrides(json("{\"num_beam\": 2}")));
        assertTrue(e.getMessage().contains("num_beam"), e.getMessage());
    }

    @Test
    void validationNamesTheProblem() {
        GenerationConfig base = GenerationConfig.defaults(false);
        assertMessage(base.toBuilder().doSample(true).build(), "do_sample");
        assertMessage(base.toBuilder().numBeams(2).numReturnSequences(3).build(), "num_return_sequences (3)");
        assertMessage(base.toBuilder().numReturnSequences(2).build(), "greedy");
        assertMessage(base.toBuilder().maxNewTokens(0).build(), "max_new_tokens");
        assertMessage(GenerationConfig.defaults(true), "decoder_start_token_id");
        assertMessage(base.withOverrides(json("{\"forced_eos_token_id\": [1, 2]}")), "forced_eos_token_id");
        assertMessage(base.withOverrides(json("{\"bad_words_ids\": [[]]}")), "bad_words_ids");
        assertThrows(IllegalArgumentException.class, () -> base.withOverrides(json("{\"early_stopping\": \"sometimes\"}")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Generator.generate(
                new MarkovModel(6, false, 0), new Batch(new int[][]{{1}}, new int[][]{{1}}),
                base.toBuilder().eosTokenIds(9).build()));
        assertTrue(e.getMessage().contains("eos_token_id 9"), e.getMessage());
    }

    /** Lengths past the model's positions, and counts whose sums overflow an int, are refused with the limit named. */
    @Test
    void lengthsBeyondThePositionsAreRefused() {
        GenerationConfig bart = GenerationConfig.fromCheckpoint(OracleCases.checkpoint("bart"));
        GenerationConfig gpt2 = GenerationConfig.fromCheckpoint(OracleCases.checkpoint("gpt2"));
        int max = Integer.MAX_VALUE;
        assertMessage(bart.toBuilder().maxNewTokens(max).build(), "max_new_tokens " + max + " is too large: the model's"
                + " 64 positions allow at most 63 new tokens after the decoder start token");
        assertMessage(gpt2.toBuilder().maxNewTokens(64).build(), "max_new_tokens 64 is too large: the model's 64"
                + " positions allow at most 63 new tokens after a one-token prompt");
        bart.toBuilder().maxNewTokens(63).build().validate();
        assertMessage(bart.toBuilder().maxLength(65).build(), "max_length 65 is more than the model's 64 positions");
        bart.toBuilder().maxLength(64).build().validate();
        assertMessage(bart.toBuilder().minNewTokens(max).build(), "min_new_tokens " + max + " could never be reached");
        assertMessage(bart.toBuilder().minLength(65).build(), "min_length 65 could never be reached");
        assertMessage(bart.toBuilder().noRepeatNgramSize(max).build(), "no_repeat_ngram_size " + max + " is longer");
        // Without known positions: no wrap-around (HF would generate until the model's positions end).
        GenerationConfig free = GenerationConfig.defaults(false).toBuilder().maxNewTokens(max).build();
        free.validate();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> free.lengths(8));
        assertTrue(e.getMessage().contains("max_new_tokens " + max), e.getMessage());
        assertEquals(max, GenerationConfig.defaults(false).toBuilder().minNewTokens(max).build().lengths(8).min(),
                "a minimum saturates, never wraps to a negative");
        // A prompt and its new tokens against a limit.
        GenerationConfig ten = gpt2.toBuilder().maxNewTokens(10).build();
        ten.checkFits(54, 64);
        e = assertThrows(IllegalArgumentException.class, () -> ten.checkFits(60, 64));
        assertEquals("a prompt of 60 tokens and max_new_tokens 10 need 70 positions; the model has 64: shorten the"
                + " prompt to at most 54 tokens or ask for fewer new tokens", e.getMessage());
    }

    /** The device's candidate limit: num_beams up to half of it (one EOS id), a third with two. */
    @Test
    void beamsBeyondTheModelsCandidateLimitAreRefused() {
        GenerationConfig bart = GenerationConfig.fromCheckpoint(OracleCases.checkpoint("bart"));
        assertEquals(64, bart.toBuilder().numBeams(32).build().validateFor(512, 64).candidatesPerRow(512));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bart.toBuilder().numBeams(33).build().validateFor(512, 64));
        assertEquals("num_beams 33 needs 66 candidates per row and step (2 per beam); the model selects at most 64, so"
                + " num_beams can be at most 32", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> bart.toBuilder().numBeams(22).eosTokenIds(2, 3).build().validateFor(512, 64));
        assertEquals("num_beams 22 needs 66 candidates per row and step (3 per beam: one more than the 2 EOS ids); the"
                + " model selects at most 64, so num_beams can be at most 21", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> bart.toBuilder().numBeams(Integer.MAX_VALUE).build().validateFor(50265, 64));
        assertTrue(e.getMessage().endsWith("num_beams can be at most 32"), e.getMessage());
        assertEquals(1, bart.toBuilder().numBeams(1).build().validateFor(512, 1).candidatesPerRow(512), "greedy");
    }

    private static void assertMessage(GenerationConfig c, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, c::validate);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    /** A value the config cannot use is reported with the file it is in, on one line. */
    @Test
    void errorsNameTheFile(@TempDir Path dir) throws IOException {
        Files.copy(OracleCases.checkpoint("bart").resolve("config.json"), dir.resolve("config.json"));
        Path generation = dir.resolve("generation_config.json");
        Files.writeString(generation, "{\"num_beams\": \"four\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.fromCheckpoint(dir));
        assertEquals(generation + ": num_beams must be an integer, not \"four\"; correct it in the file", e.getMessage());
        Files.writeString(generation, "{\"early_stopping\": \"two\\nlines\"}");
        e = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.fromCheckpoint(dir));
        assertEquals(generation + ": early_stopping must be true, false or \"never\", not \"two\\nlines\"; correct it in"
                + " the file", e.getMessage());
        Files.writeString(generation, "{\"do_sample\": {}}");
        e = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.fromCheckpoint(dir));
        assertEquals(generation + ": do_sample must be true or false, not {}; correct it in the file", e.getMessage());
        Files.writeString(generation, "{\"max_length\": 1e10}");
        e = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.fromCheckpoint(dir));
        assertEquals(generation + ": max_length is 1e10; it must lie between -2^31 and 2^31 - 1; correct it in the file",
                e.getMessage());
        Files.writeString(generation, "{\"eos_token_id\": [2, null]}");
        e = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.fromCheckpoint(dir));
        assertEquals(generation + ": eos_token_id must list token ids, not [2,null]; correct it in the file", e.getMessage());
        Files.writeString(generation, "{\"num_beams\": 4,");
        e = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.fromCheckpoint(dir));
        assertTrue(e.getMessage().startsWith(generation + ": not valid JSON (") && e.getMessage().lines().count() == 1,
                e.getMessage());
        Files.delete(generation);
        Files.writeString(dir.resolve("config.json"), "{\"is_encoder_decoder\": [[]]}");
        e = assertThrows(IllegalArgumentException.class, () -> GenerationConfig.fromCheckpoint(dir));
        assertEquals(dir.resolve("config.json") + ": is_encoder_decoder must be true or false, not [[]]; correct it in"
                + " the file", e.getMessage());
    }
}
