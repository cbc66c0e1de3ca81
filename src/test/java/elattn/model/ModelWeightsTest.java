package elattn.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import elattn.kernel.FloatArray;
import elattn.kernel.HalfFloatArray;
import org.junit.jupiter.api.Test;

/** Canonical layouts of the loaded weights, checked element by element against the raw tensors. */
class ModelWeightsTest {
    @Test
    void bartTiesTheSharedEmbeddingAndViewsTheMap() {
        try (Checkpoint c = Checkpoint.open(Oracle.dir("bart"))) {
            ModelConfig config = ModelConfig.of(c);
            ModelWeights<FloatArray> w = ModelWeights.load(c, config, Precision.FP32);
            assertSame(w.encoder().tokenEmbedding(), w.decoder().tokenEmbedding());
            assertSame(w.lmHead(), w.decoder().tokenEmbedding());
            Tensor shared = c.tensors().get("model.shared.weight");
            // fp32 tensors are views of the memory map, not copies
            assertEquals(shared.data().address(), w.lmHead().getSegment().address());
            assertEquals(66 * 64, w.encoder().positions().getSize());
            assertEquals(512, w.finalLogitsBias().getSize());
            assertEquals(c.tensors().get("final_logits_bias").getFloat(7), w.finalLogitsBias().get(7));
            assertNotNull(w.encoder().embeddingNorm());
            assertNull(w.encoder().finalNorm());
            ModelWeights.Layer<FloatArray> l = w.decoder().layers().get(1);
            assertNotNull(l.crossAttention());
            assertNull(w.encoder().layers().get(0).crossAttention());
            assertEquals(128, l.fc1().outFeatures());
            assertEquals(64, l.fc1().inFeatures());
            Tensor fc2 = c.tensors().get("model.decoder.layers.1.fc2.weight");
            assertEquals(fc2.getFloat(3 * 128 + 100), l.fc2().weight().get(3 * 128 + 100));
            assertEquals(c.tensors().get("model.decoder.layers.1.encoder_attn.k_proj.bias").getFloat(5),
                    l.crossAttention().k().bias().get(5));
        }
    }

    @Test
    void gpt2Conv1dIsTransposedAndCAttnSplit() {
        try (Checkpoint c = Checkpoint.open(Oracle.dir("gpt2"))) {
            ModelConfig config = ModelConfig.of(c);
            ModelWeights<FloatArray> w = ModelWeights.load(c, config, Precision.FP32);
            assertNull(w.encoder());
            assertNotNull(w.decoder().finalNorm());
            assertSame(w.lmHead(), w.decoder().tokenEmbedding());
            int d = 64;
            Tensor cAttn = c.tensors().get("transformer.h.1.attn.c_attn.weight"); // (in=64, out=192)
            Tensor cAttnBias = c.tensors().get("transformer.h.1.attn.c_attn.bias");
            ModelWeights.Attention<FloatArray> a = w.decoder().layers().get(1).selfAttention();
            for (int o = 0; o < d; o += 7) {
                for (int i = 0; i < d; i += 5) {
                    assertEquals(cAttn.getFloat(i * 3L * d + o), a.q().weight().get(o * d + i));
                    assertEquals(cAttn.getFloat(i * 3L * d + d + o), a.k().weight().get(o * d + i));
                    assertEquals(cAttn.getFloat(i * 3L * d + 2 * d + o), a.v().weight().get(o * d + i));
                }
                assertEquals(cAttnBias.getFloat(2L * d + o), a.v().bias().get(o));
            }
            Tensor fc = c.tensors().get("transformer.h.0.mlp.c_fc.weight"); // (64, 128)
            ModelWeights.Linear<FloatArray> fc1 = w.decoder().layers().get(0).fc1();
            assertEquals(128, fc1.outFeatures());
            assertEquals(fc.getFloat(10 * 128 + 99), fc1.weight().get(99 * 64 + 10));
            assertEquals(0.0f, w.finalLogitsBias().get(3));
        }
    }

    @Test
    void marianPositionsAreHfSinusoids() {
        try (Checkpoint c = Checkpoint.open(Oracle.dir("marian"))) {
            ModelWeights<FloatArray> w = ModelWeights.load(c, ModelConfig.of(c), Precision.FP32);
            FloatArray p = w.encoder().positions();
            assertSame(p, w.decoder().positions());
            int d = 48;
            assertEquals(64 * d, p.getSize());
            // position 5: column j < 24 is sin(5 / 10000^(2j/48)), column 24 + j the cosine.
            for (int j = 0; j < d / 2; j++) {
                double angle = 5 / Math.pow(10000, 2.0 * j / d);
                assertEquals((float) Math.sin(angle), p.get(5 * d + j));
                assertEquals((float) Math.cos(angle), p.get(5 * d + d / 2 + j));
            }
            assertEquals(0.0f, p.get(0));
            assertEquals(1.0f, p.get(d / 2));
        }
    }

    @Test
    void narrowCheckpointsWidenToTheirStoredValues() {
        try (Checkpoint half = Checkpoint.open(Oracle.dir("bart-fp16"));
                Checkpoint bf = Checkpoint.open(Oracle.dir("gpt2-bf16"))) {
            ModelWeights<FloatArray> h = ModelWeights.load(half, ModelConfig.of(half), Precision.FP32);
            Tensor shared = half.tensors().get("model.shared.weight");
            assertEquals(DType.F16, shared.dtype());
            assertEquals(Float.float16ToFloat(shared.data().get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 40)),
                    h.lmHead().get(20));
            ModelWeights<FloatArray> b = ModelWeights.load(bf, ModelConfig.of(bf), Precision.FP32);
            Tensor wpe = bf.tensors().get("transformer.wpe.weight");
            assertEquals(DType.BF16, wpe.dtype());
            assertEquals(wpe.getFloat(123), b.decoder().positions().get(123));
            // fp16 precision keeps F16 tensors as views of the map
            ModelWeights<HalfFloatArray> hh = ModelWeights.load(half, ModelConfig.of(half), Precision.FP16);
            assertEquals(shared.data().address(), hh.lmHead().getSegment().address());
            assertEquals(h.lmHead().get(20), hh.lmHead().get(20));
        }
    }

    @Test
    void shardedCheckpointLoadsTheSameWeights() {
        try (Checkpoint one = Checkpoint.open(Oracle.dir("gpt2")); Checkpoint sharded = Checkpoint.open(Oracle.dir("gpt2-sharded"))) {
            ModelWeights<FloatArray> a = ModelWeights.load(one, ModelConfig.of(one), Precision.FP32);
            ModelWeights<FloatArray> b = ModelWeights.load(sharded, ModelConfig.of(sharded), Precision.FP32);
            assertArrayEquals(a.lmHead(), b.lmHead());
            assertArrayEquals(a.decoder().positions(), b.decoder().positions());
            for (int i = 0; i < 2; i++) {
                var la = a.decoder().layers().get(i);
                var lb = b.decoder().layers().get(i);
                assertArrayEquals(la.selfAttention().q().weight(), lb.selfAttention().q().weight());
                assertArrayEquals(la.selfAttention().out().bias(), lb.selfAttention().out().bias());
                assertArrayEquals(la.fc2().weight(), lb.fc2().weight());
                assertArrayEquals(la.ffnNorm().weight(), lb.ffnNorm().weight());
            }
            assertArrayEquals(a.decoder().finalNorm().bias(), b.decoder().finalNorm().bias());
        }
    }

    private static void assertArrayEquals(FloatArray expected, FloatArray actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected.toHeapArray(), actual.toHeapArray());
    }
}
