package elattn.model.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import elattn.generate.Batch;
import elattn.model.ModelConfig;
import elattn.runtime.Devices;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cached-state bytes of both modes on a padded batch of three sentences with four beams,
 * against the formulas of docs/models.md worked out here, and EL's promise: cross-attention state
 * at most 1/(2 * beams) of MHA's.
 */
class CacheBytesTest {
    private static final int BEAMS = 4;

    private static Batch batchOf(String family) {
        for (var e : OracleModels.get(family).cases().getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            if (c.get("name").getAsString().equals("defaults_batch")) {
                return new Batch(OracleModels.matrix(c.getAsJsonArray("input_ids")),
                        OracleModels.matrix(c.getAsJsonArray("attention_mask")));
            }
        }
        throw new IllegalStateException(family + " has no defaults_batch case");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bart", "gpt2", "marian"})
    void elHoldsAFractionOfMha(String family) {
        ModelConfig config = OracleModels.get(family).config();
        Batch batch = batchOf(family);
        int steps = config.maxPositions();
        CacheBytes el;
        CacheBytes mha;
        try (DeviceModel e = OracleModels.model(family, Devices.byId("jvm"), AttentionMode.EL, BEAMS);
                DeviceModel m = OracleModels.model(family, Devices.byId("jvm"), AttentionMode.MHA, BEAMS)) {
            e.start(batch, BEAMS, OracleModels.logitsRequest(batch.sentences() * BEAMS, 1));
            m.start(batch, BEAMS, OracleModels.logitsRequest(batch.sentences() * BEAMS, 1));
            el = e.cacheBytes();
            mha = m.cacheBytes();
        }
        long s = batch.sentences();
        long state = 4L * config.dModel(); // one fp32 state row
        long layers = config.decoderLayers();
        long rows = s * BEAMS;
        if (config.encoderDecoder()) {
            long w = BatchLayout.Capacity.of(config, batch, -1).width(); // the source width rounded up
            assertEquals(s * w * state, el.cross(), "EL: one encoder output per sentence");
            assertEquals(2 * layers * rows * w * state, mha.cross(), "MHA: K and V per layer and beam");
            assertTrue(el.cross() * 2 * BEAMS <= mha.cross(), "EL cross " + el.cross() + " vs MHA " + mha.cross());
            assertEquals(layers * rows * steps * state, el.self(), "EL: layer inputs per step and row");
            assertEquals(2 * el.self(), mha.self(), "MHA: K and V");
        } else {
            long prompt = batch.width();
            // EL: prompt steps but the last once per sentence, the rest per beam; MHA: every step per beam.
            long elSlots = (prompt - 1) * s + (steps - prompt + 1) * rows;
            assertEquals(0, el.cross());
            assertEquals(layers * elSlots * state, el.self());
            assertEquals(2 * layers * steps * rows * state, mha.self());
        }
    }
}
