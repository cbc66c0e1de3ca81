package elattn.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.generate.GenerationConfig;
import elattn.model.Activation;
import elattn.model.ModelConfig;
import elattn.model.ModelFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The workload definitions: each one's model, inputs and generation settings are what issue 13
 * names (the expected values are the public models' published configs and the table, written
 * out here), and their random inputs have the lengths and ids they should.
 */
class WorkloadsTest {
    @Test
    void theFiveWorkloadsInReportOrder() {
        assertEquals(List.of("debian-bart", "marian-opus", "gpt2-small", "bart-large", "distilbart"),
                Workloads.all().stream().map(Workload::name).toList());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workloads.named("t5"));
        assertEquals("no workload 't5'; workloads are debian-bart, marian-opus, gpt2-small, bart-large, distilbart",
                e.getMessage());
    }

    @Test
    void debianBartIsTheShippedCheckpointOnTheTestSplitTexts() {
        Workload w = Workloads.named("debian-bart");
        assertEquals("debian-bart", w.checkpoint());
        assertEquals(Workload.Inputs.DEBIAN_TEXTS, w.inputs());
        assertEquals(64, w.batchSize());
        assertTrue(w.generation().isEmpty(), "its own generation_config.json decides");
        assertTrue(w.bartFamily());
        assertThrows(IllegalStateException.class, w::config);
    }

    @Test
    void marianOpusHasOpusMtEnDesShape() {
        Workload w = Workloads.named("marian-opus");
        ModelConfig c = w.config();
        assertEquals(ModelFamily.MARIAN, c.family());
        assertEquals(List.of(512, 6, 6, 8, 8, 2048, 2048, 58101, 512),
                List.of(c.dModel(), c.encoderLayers(), c.decoderLayers(), c.encoderHeads(), c.decoderHeads(),
                        c.encoderFfn(), c.decoderFfn(), c.vocabSize(), c.maxPositions()));
        assertEquals(Activation.SILU, c.activation());
        assertTrue(c.scaleEmbedding());
        assertEquals(List.of(58100, 0, 58100), List.of(c.padTokenId(), c.eosTokenId(), c.decoderStartTokenId()));
        assertExactly(w, 4, 64);
        assertEquals(Workload.Inputs.DEBIAN_LENGTHS, w.inputs());
        assertEquals(64, w.batchSize());
        assertFalse(w.bartFamily());
    }

    @Test
    void gpt2SmallIsGreedyOver64TokenPrompts() {
        Workload w = Workloads.named("gpt2-small");
        ModelConfig c = w.config();
        assertEquals(ModelFamily.GPT2, c.family());
        assertEquals(List.of(768, 12, 12, 3072, 50257, 1024),
                List.of(c.dModel(), c.decoderLayers(), c.decoderHeads(), c.decoderFfn(), c.vocabSize(), c.maxPositions()));
        assertExactly(w, 1, 64);
        assertEquals(50256, w.generationConfig().padTokenId(), "HF pads GPT-2 with its EOS");
        assertEquals(Workload.Inputs.RANDOM, w.inputs());
        assertEquals(List.of(64, 512, 64), List.of(w.inputWidth(), w.records(), w.batchSize()));
    }

    @Test
    void bartLargeIsBartConfigsDefaultsAtBatch256() {
        Workload w = Workloads.named("bart-large");
        // HF BartConfig() defaults, as the generation benchmark had them before the workloads existed
        assertEquals(new ModelConfig(ModelFamily.BART, 50265, 1024, 12, 12, 16, 16, 4096, 4096, 1024,
                Activation.GELU, 1e-5, false, true, 1, 0, 2, 2, -1, 2), w.config());
        assertEquals(w.config(), Shape.bartLarge().config(), "one definition for both benchmarks");
        assertExactly(w, 4, 128);
        assertEquals(List.of(1024, 256, 256), List.of(w.inputWidth(), w.records(), w.batchSize()));
        assertTrue(w.bartFamily());
    }

    @Test
    void distilbartHasTwelveEncoderAndSixDecoderLayers() {
        Workload w = Workloads.named("distilbart");
        ModelConfig c = w.config();
        assertEquals(ModelFamily.BART, c.family());
        assertEquals(List.of(1024, 12, 6, 16, 16, 4096, 4096, 50264, 1024),
                List.of(c.dModel(), c.encoderLayers(), c.decoderLayers(), c.encoderHeads(), c.decoderHeads(),
                        c.encoderFfn(), c.decoderFfn(), c.vocabSize(), c.maxPositions()));
        assertExactly(w, 4, 64);
        assertEquals(Workload.Inputs.DEBIAN_LENGTHS, w.inputs());
        assertEquals(64, w.batchSize());
        assertTrue(w.bartFamily());
    }

    private static void assertExactly(Workload w, int beams, int tokens) {
        GenerationConfig g = w.generationConfig();
        assertEquals(beams, g.numBeams(), w.name());
        assertEquals(tokens, g.minNewTokens(), w.name());
        assertEquals(tokens, g.maxNewTokens(), w.name());
        assertFalse(g.doSample(), w.name());
    }

    @Test
    void debianLengthInputsKeepEachLengthUpToThePositionsWithOrdinaryIds() {
        Workload w = Workloads.named("marian-opus");
        List<int[]> ids = w.randomInputs(List.of(5, 700, 1, 512, 513));
        assertEquals(List.of(5, 512, 1, 512, 512), ids.stream().map(a -> a.length).toList(),
                "a length past the 512 positions is cut to them, as --truncate would");
        ModelConfig c = w.config();
        for (int[] row : ids) {
            for (int t : row) {
                assertTrue(t >= 4 && t < c.vocabSize() && t != c.padTokenId() && t != c.eosTokenId(), "token " + t);
            }
        }
        List<int[]> again = w.randomInputs(List.of(5, 700, 1, 512, 513));
        for (int i = 0; i < ids.size(); i++) {
            assertArrayEquals(ids.get(i), again.get(i), "the same seed gives the same ids");
        }
        assertNotEquals(ids.get(0)[0] + "," + ids.get(0)[1], ids.get(3)[0] + "," + ids.get(3)[1]);
    }

    @Test
    void fixedWidthInputsIgnoreTheDebianLengths() {
        Workload w = Workloads.named("gpt2-small");
        List<int[]> ids = w.randomInputs(List.of(3));
        assertEquals(512, ids.size());
        assertTrue(ids.stream().allMatch(a -> a.length == 64));
    }

    @Test
    void definitionJsonNamesTheModelAndSettings() {
        var json = Workloads.named("marian-opus").toJson();
        assertEquals("marian-opus", json.get("workload").getAsString());
        assertEquals("marian", json.getAsJsonObject("model").getAsJsonObject("config").get("model_type").getAsString());
        assertEquals(Workloads.SEED, json.getAsJsonObject("model").get("seed").getAsLong());
        assertEquals(64, json.getAsJsonObject("generation_overrides").get("max_new_tokens").getAsInt());
        assertNull(json.get("input_width"), "Debian lengths have no fixed width");
        assertEquals("debian-bart", Workloads.named("debian-bart").toJson().getAsJsonObject("model")
                .get("checkpoint").getAsString());
    }

    @Test
    void outputsDigestIsSha256OfOneLinePerSequence() {
        // printf '1 2 3\n7\n' | sha256sum, and of nothing
        assertEquals("6d45ec1c0be08b906a117131f6570f50a28c01d30754275854759281298f2be5",
                WorkloadReport.sha256(List.of(new int[]{1, 2, 3}, new int[]{7})));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                WorkloadReport.sha256(List.of()));
    }
}
