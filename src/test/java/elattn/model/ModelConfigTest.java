package elattn.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** config.json of the three oracle checkpoints, against the values their README documents. */
class ModelConfigTest {
    private static ModelConfig config(String name) {
        try (Checkpoint c = Checkpoint.open(Oracle.dir(name))) {
            return ModelConfig.of(c);
        }
    }

    @Test
    void bart() {
        ModelConfig c = config("bart");
        assertEquals(ModelFamily.BART, c.family());
        assertTrue(c.encoderDecoder());
        assertEquals(512, c.vocabSize());
        assertEquals(64, c.dModel());
        assertEquals(2, c.encoderLayers());
        assertEquals(2, c.decoderLayers());
        assertEquals(4, c.encoderHeads());
        assertEquals(4, c.decoderHeads());
        assertEquals(16, c.decoderHeadDim());
        assertEquals(128, c.encoderFfn());
        assertEquals(128, c.decoderFfn());
        assertEquals(64, c.maxPositions());
        assertEquals(2, c.positionOffset());
        assertEquals(66, c.positionRows());
        assertEquals(ModelFamily.PositionKind.LEARNED, c.positions());
        assertEquals(Activation.GELU, c.activation());
        assertFalse(c.preNorm());
        assertTrue(c.layernormEmbedding());
        assertFalse(c.finalLayerNorm());
        assertTrue(c.finalLogitsBias());
        assertEquals(1.0, c.embedScale());
        assertEquals(1e-5, c.layerNormEps());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(1, c.padTokenId());
        assertEquals(0, c.bosTokenId());
        assertEquals(2, c.eosTokenId());
        assertEquals(2, c.decoderStartTokenId());
        assertEquals(-1, c.forcedBosTokenId());
        assertEquals(2, c.forcedEosTokenId());
    }

    @Test
    void gpt2() {
        ModelConfig c = config("gpt2");
        assertEquals(ModelFamily.GPT2, c.family());
        assertFalse(c.encoderDecoder());
        assertEquals(512, c.vocabSize());
        assertEquals(64, c.dModel());
        assertEquals(0, c.encoderLayers());
        assertEquals(2, c.decoderLayers());
        assertEquals(4, c.decoderHeads());
        assertEquals(128, c.decoderFfn());
        assertEquals(64, c.maxPositions());
        assertEquals(0, c.positionOffset());
        assertEquals(Activation.GELU_TANH, c.activation());
        assertTrue(c.preNorm());
        assertFalse(c.layernormEmbedding());
        assertTrue(c.finalLayerNorm());
        assertFalse(c.finalLogitsBias());
        assertEquals(1e-5, c.layerNormEps());
        assertEquals(-1, c.padTokenId());
        assertEquals(511, c.bosTokenId());
        assertEquals(511, c.eosTokenId());
        assertEquals(-1, c.decoderStartTokenId());
    }

    @Test
    void marian() {
        ModelConfig c = config("marian");
        assertEquals(ModelFamily.MARIAN, c.family());
        assertTrue(c.encoderDecoder());
        assertEquals(48, c.dModel());
        assertEquals(96, c.encoderFfn());
        assertEquals(12, c.encoderHeadDim());
        assertEquals(ModelFamily.PositionKind.SINUSOIDAL, c.positions());
        assertEquals(64, c.positionRows());
        assertEquals(Activation.SILU, c.activation());
        assertFalse(c.preNorm());
        assertFalse(c.layernormEmbedding());
        assertTrue(c.scaleEmbedding());
        assertEquals(Math.sqrt(48), c.embedScale());
        assertEquals(511, c.padTokenId());
        assertEquals(-1, c.bosTokenId());
        assertEquals(0, c.eosTokenId());
        assertEquals(511, c.decoderStartTokenId());
        assertEquals(0, c.forcedEosTokenId());
    }
}
