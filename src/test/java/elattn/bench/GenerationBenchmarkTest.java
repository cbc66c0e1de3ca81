package elattn.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.bench.Report.Run;
import elattn.bench.Report.Status;
import elattn.model.Activation;
import elattn.model.ModelConfig;
import elattn.model.ModelFamily;
import elattn.model.device.AttentionMode;
import elattn.model.device.DeviceModel;
import elattn.testing.TestDevices.TestDevice;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The benchmark's smoke configuration: tiny shapes, two new tokens, both modes; structure and tokens, no timing. */
class GenerationBenchmarkTest {
    private static Shape tinyBart() {
        ModelConfig c = new ModelConfig(ModelFamily.BART, 96, 32, 2, 2, 4, 4, 64, 64, 64, Activation.GELU, 1e-5,
                false, true, 1, 0, 2, 2, -1, 2);
        return new Shape("tiny-bart", c, 8, 4, 2, List.of(1, 3), true);
    }

    private static Shape tinyGpt2() {
        ModelConfig c = new ModelConfig(ModelFamily.GPT2, 96, 32, 0, 2, 0, 4, 0, 64, 64, Activation.GELU_TANH, 1e-5,
                false, true, -1, 95, 95, -1, -1, -1);
        return new Shape("tiny-gpt2", c, 5, 4, 2, List.of(2), false);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void smokeRunReportsEveryRunAndBothModesAgree(TestDevice testDevice) {
        GenerationBenchmark.Settings settings = GenerationBenchmark.Settings.defaults()
                .withDevice(testDevice.get().id())
                .withShapes(List.of(tinyBart(), tinyGpt2()))
                .withModes(List.of(AttentionMode.EL, AttentionMode.MHA))
                .withLimits(Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(20))
                .withSearchCap(4)
                .withKeepTokens(true);
        Report report = GenerationBenchmark.run(settings);

        assertEquals(testDevice.get().id(), report.device());
        assertEquals(6, report.runs().size(), "tiny-bart at 1 and 3, tiny-gpt2 at 2, each in two modes");
        for (Run r : report.runs()) {
            String what = r.shape() + " " + r.mode() + " " + r.batch();
            assertEquals(Status.OK, r.status(), what + ": " + r.message());
            assertEquals(r.batch(), r.generated().length, what + ": the best hypothesis of each sentence");
            for (int[] tokens : r.generated()) {
                assertEquals(2, tokens.length, what + ": exactly the new tokens");
            }
            assertEquals(1, r.decode().steps(), what + ": start() and one next() make two tokens");
            assertTrue(r.samplesPerSecond() > 0 && r.tokensPerSecond() > r.samplesPerSecond(), what);
            assertTrue(r.peakDeviceBytes() > 0, what);
            assertTrue(r.crossCacheBytes() + r.selfCacheBytes() > 0, what);
            assertTrue(r.decode().taskNanos().keySet().stream().allMatch(t -> t.startsWith("decode.")), what);
            assertTrue(r.decode().taskNanos().containsKey("decode.lmHead"), what);
            assertTrue(r.decode().kernelSeconds() <= r.decode().executeSeconds(), what);
            assertEquals(r.decode().taskNanos().values().stream().filter(n -> n > 0).count(), r.decode().launches(),
                    what + ": one launch per task that ran in the one decode step");
        }
        for (int i = 0; i < report.runs().size(); i += 2) {
            Run el = report.runs().get(i);
            Run mha = report.runs().get(i + 1);
            assertEquals(AttentionMode.EL, el.mode());
            assertEquals(AttentionMode.MHA, mha.mode());
            assertArrayEquals(el.generated(), mha.generated(), el.shape() + " batch " + el.batch());
            assertEquals(el.tokenChecksum(), mha.tokenChecksum());
            if (el.shape().equals("tiny-bart")) {
                assertTrue(el.crossCacheBytes() < mha.crossCacheBytes(), "EL keeps H once per sentence");
                assertTrue(el.decode().taskNanos().containsKey("decode.dec0_cross_expand"), "EL expands the query");
            }
        }

        assertEquals(2, report.searches().size(), "tiny-bart searched in both modes");
        for (Report.Search s : report.searches()) {
            assertEquals(4, s.largest(), "everything fits up to the cap");
            assertTrue(s.complete());
            assertTrue(s.reason().contains("cap of 4"), s.reason());
        }

        JsonObject json = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertEquals(6, json.getAsJsonArray("runs").size());
        JsonObject first = json.getAsJsonArray("runs").get(0).getAsJsonObject();
        for (String key : List.of("shape", "mode", "batch", "status", "samples_per_s", "tokens_per_s", "seconds",
                "peak_device_bytes", "cache_cross_bytes", "cache_self_bytes", "prefill", "decode")) {
            assertTrue(first.has(key), key);
        }
        assertEquals("el", first.get("mode").getAsString());
        assertTrue(first.getAsJsonObject("decode").has("task_ns"));
        assertTrue(first.getAsJsonObject("decode").get("launches_per_step").getAsDouble() > 0);
        assertEquals(2, json.getAsJsonArray("largest_batch").size());
        String md = report.toMarkdown();
        assertTrue(md.contains("| batch | mode | samples/s |"), md);
        assertTrue(md.contains("largest batch, el: 4"), md);
    }

    @Test
    void largestBatchDoublesThenBisects() {
        LargestBatch.Result r = LargestBatch.search(8, 1000, "cap", 0, b -> b <= 37 ? LargestBatch.Probe.fit()
                : LargestBatch.Probe.miss("too big"), () -> false);
        assertEquals(37, r.largest());
        assertEquals(38, r.smallestMiss());
        assertEquals("too big", r.reason());
        assertTrue(r.complete());
        assertArrayEquals(new int[] {8, 16, 32, 64, 48, 40, 36, 38, 37}, r.probes());

        LargestBatch.Result capped = LargestBatch.search(8, 20, "array limit", 0, b -> LargestBatch.Probe.fit(),
                () -> false);
        assertEquals(20, capped.largest());
        assertEquals(-1, capped.smallestMiss());
        assertEquals("array limit", capped.reason());

        LargestBatch.Result none = LargestBatch.search(4, 100, "cap", 0, b -> LargestBatch.Probe.miss("no"),
                () -> false);
        assertEquals(0, none.largest());
        assertEquals(1, none.smallestMiss());

        int[] calls = {0};
        LargestBatch.Result outOfTime = LargestBatch.search(2, 100, "cap", 0, b -> LargestBatch.Probe.fit(),
                () -> calls[0]++ >= 2);
        assertEquals(4, outOfTime.largest());
        assertFalse(outOfTime.complete());
    }

    /**
     * The encoder runs over chunks of sentences, so bart-large fits 32-bit arrays at 128 and 256
     * sentences in both modes; the limits are then the whole batch's arrays: MHA's per-beam copies
     * (4 x sentences x 1024 x 1024 floats: 2^31 at 512 sentences) and EL's encoder output
     * (sentences x 1024 x 1024: 2^31 at 2048).
     */
    @Test
    void bartLargeFitsThirtyTwoBitArraysAt256ButNotAtAbsurdBatches() {
        Shape bart = Shape.bartLarge();
        assertEquals(9, DeviceModel.encoderChunkSentences(bart.config(), 1024, 256), "0.91 GiB of encoder scratch");
        for (AttentionMode mode : AttentionMode.values()) {
            for (int batch : List.of(128, 256)) {
                assertEquals(Optional.empty(), ArrayLimits.check(bart, mode, batch), mode + " at " + batch);
            }
        }
        String mha = ArrayLimits.check(bart, AttentionMode.MHA, 512).orElseThrow();
        assertTrue(mha.contains("MHA's per-beam") && mha.contains("2147483648"), mha);
        assertEquals(511, ArrayLimits.largestBatch(bart, AttentionMode.MHA, 1 << 16));
        String el = ArrayLimits.check(bart, AttentionMode.EL, 2048).orElseThrow();
        assertTrue(el.contains("encoder output") && el.contains("2147483648"), el);
        assertEquals(2047, ArrayLimits.largestBatch(bart, AttentionMode.EL, 1 << 16));
        // One sentence whose encoder scores alone pass 2^31: 16 heads x 12,000^2 floats.
        ModelConfig wideConfig = new ModelConfig(ModelFamily.BART, 50265, 1024, 12, 12, 16, 16, 4096, 4096, 12_000,
                Activation.GELU, 1e-5, false, true, 1, 0, 2, 2, -1, 2);
        Shape wide = new Shape("wide", wideConfig, 12_000, 1, 1, List.of(1), false);
        String tooWide = ArrayLimits.check(wide, AttentionMode.EL, 1).orElseThrow();
        assertTrue(tooWide.contains("encoder's attention scores of one run (1 sentences"), tooWide);
    }

    /**
     * GPT-2 medium's one-pass prompt: sentences x 511 prompt rows x 16 heads x 511 keys of scores.
     * EL reads a prompt once per sentence; MHA once per start row (at most one per beam).
     */
    @Test
    void gpt2MediumPromptInOnePassBoundsTheBatch() {
        Shape gpt2 = Shape.gpt2Medium();
        for (AttentionMode mode : AttentionMode.values()) {
            for (int batch : List.of(16, 64)) {
                assertEquals(Optional.empty(), ArrayLimits.check(gpt2, mode, batch), mode + " at " + batch);
            }
        }
        assertEquals(514, ArrayLimits.largestBatch(gpt2, AttentionMode.EL, 1 << 16), "514 x 511 x 16 x 511 < 2^31");
        assertEquals(128, ArrayLimits.largestBatch(gpt2, AttentionMode.MHA, 1 << 16), "4 rows per sentence");
        String el = ArrayLimits.check(gpt2, AttentionMode.EL, 515).orElseThrow();
        assertTrue(el.contains("prefill's attention scores"), el);
    }
}
