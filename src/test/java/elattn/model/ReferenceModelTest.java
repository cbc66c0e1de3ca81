package elattn.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import elattn.generate.Batch;
import elattn.generate.Candidates;
import elattn.generate.StepRequest;
import elattn.kernel.FloatArray;
import java.util.Arrays;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The reference forward pass against HF transformers' logits and hidden states (the oracle). */
class ReferenceModelTest {
    private static final double TOLERANCE = 1e-4;

    /** Runs {@code body} with the reference model of an oracle checkpoint. */
    private static <T> T withModel(String name, Function<ReferenceModel, T> body) {
        try (Checkpoint c = Checkpoint.open(Oracle.dir(name))) {
            ModelConfig config = ModelConfig.of(c);
            try (ReferenceModel m = new ReferenceModel(config, ModelWeights.load(c, config, Precision.FP32))) {
                return body.apply(m);
            }
        }
    }

    private static StepRequest request(int rows, int topK, boolean keepLogits) {
        int[] forced = new int[rows];
        Arrays.fill(forced, -1);
        return new StepRequest(topK, forced, new int[0], new int[0], keepLogits);
    }

    private static Batch single(int[] ids) {
        int[] mask = new int[ids.length];
        Arrays.fill(mask, 1);
        return new Batch(new int[][] {ids}, new int[][] {mask});
    }

    private static void assertClose(JsonArray expected, float[] actual, int from, String what) {
        double worst = 0;
        for (int i = 0; i < expected.size(); i++) {
            worst = Math.max(worst, Math.abs(expected.get(i).getAsDouble() - actual[from + i]));
        }
        assertTrue(worst <= TOLERANCE, what + ": max |diff| " + worst);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bart", "gpt2", "marian", "bart-fp16", "gpt2-bf16", "gpt2-sharded"})
    void firstStepLogitsMatchHf(String name) {
        JsonArray cases = Oracle.cases(name).getAsJsonArray("first_step_logits");
        withModel(name, m -> {
            for (JsonElement e : cases) {
                JsonObject c = e.getAsJsonObject();
                Candidates out = m.start(single(Oracle.ints(c.getAsJsonArray("input_ids"))), 1, request(1, 1, true));
                assertClose(c.getAsJsonArray("logits"), out.logits(), 0, name + " " + c.get("input_ids"));
            }
            return null;
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"bart", "gpt2", "marian"})
    void greedyStepLogitsMatchHf(String name) {
        JsonObject g = Oracle.cases(name).getAsJsonObject("greedy_step_logits");
        int[] prompt = Oracle.ints(g.getAsJsonArray("input_ids"));
        int[] sequence = Oracle.ints(g.getAsJsonArray("sequence"));
        JsonArray logits = g.getAsJsonArray("logits");
        withModel(name, m -> {
            int p = name.startsWith("gpt2") ? prompt.length : 1;
            Candidates out = m.start(single(prompt), 1, request(1, 1, true));
            for (int i = 0; i < logits.size(); i++) {
                if (i > 0) {
                    out = m.next(new int[] {sequence[p + i - 1]}, new int[] {0}, request(1, 1, true));
                }
                // the sequence itself came through processors (forced BOS, min_new_tokens); the logits are raw
                assertClose(logits.get(i).getAsJsonArray(), out.logits(), 0, name + " step " + i);
            }
            return null;
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"bart", "marian"})
    void encoderOutputMatchesHf(String name) {
        JsonObject debug = Oracle.cases(name).getAsJsonObject("debug");
        int[] ids = Oracle.ints(debug.getAsJsonArray("input_ids"));
        int[] mask = new int[ids.length];
        Arrays.fill(mask, 1);
        double[][] states = withModel(name, m -> m.encode(ids, mask));
        assertHidden(debug.getAsJsonArray("encoder_last_hidden_state"), states, name);
    }

    @Test
    void gpt2HiddenStatesMatchHf() {
        JsonObject debug = Oracle.cases("gpt2").getAsJsonObject("debug");
        int[] ids = Oracle.ints(debug.getAsJsonArray("input_ids"));
        int[] positions = new int[ids.length];
        Arrays.setAll(positions, i -> i);
        boolean[] keys = new boolean[ids.length];
        Arrays.fill(keys, true);
        double[][] states = withModel("gpt2", m -> m.decodeStates(ids, positions, keys, null, null));
        assertHidden(debug.getAsJsonArray("last_hidden_state"), states, "gpt2");
    }

    private static void assertHidden(JsonArray expected, double[][] states, String what) {
        int d = states[0].length;
        assertEquals(expected.size(), states.length * d);
        double worst = 0;
        for (int i = 0; i < expected.size(); i++) {
            worst = Math.max(worst, Math.abs(expected.get(i).getAsDouble() - states[i / d][i % d]));
        }
        assertTrue(worst <= TOLERANCE, what + " hidden states: max |diff| " + worst);
    }

    /**
     * HF's {@code greedy_batch} case: padded batches (right for encoder-decoders, left for GPT-2)
     * give HF's tokens, with the generation config's forced BOS/EOS and bad words as step requests.
     */
    @ParameterizedTest
    @ValueSource(strings = {"bart", "gpt2", "marian"})
    void paddedGreedyBatchMatchesHf(String name) {
        JsonObject c = null;
        for (JsonElement e : Oracle.cases(name).getAsJsonArray("cases")) {
            if (e.getAsJsonObject().get("name").getAsString().equals("greedy_batch")) {
                c = e.getAsJsonObject();
            }
        }
        JsonArray inputs = c.getAsJsonArray("input_ids");
        int rows = inputs.size();
        int[][] ids = new int[rows][];
        int[][] mask = new int[rows][];
        int[][] expected = new int[rows][];
        for (int r = 0; r < rows; r++) {
            ids[r] = Oracle.ints(inputs.get(r).getAsJsonArray());
            mask[r] = Oracle.ints(c.getAsJsonArray("attention_mask").get(r).getAsJsonArray());
            expected[r] = Oracle.ints(c.getAsJsonArray("sequences").get(r).getAsJsonArray());
        }
        JsonObject gen = c.getAsJsonObject("effective_generation_config");
        int eos = gen.get("eos_token_id").getAsInt();
        int forcedBos = intOr(gen, "forced_bos_token_id");
        int forcedEos = intOr(gen, "forced_eos_token_id");
        int banned = gen.get("bad_words_ids").isJsonNull() ? -1
                : gen.getAsJsonArray("bad_words_ids").get(0).getAsJsonArray().get(0).getAsInt();
        int start = name.equals("gpt2") ? ids[0].length : 1;
        int maxLength = start + gen.get("max_new_tokens").getAsInt();
        int[][] generated = new int[rows][maxLength];
        withModel(name, m -> {
            int[] parents = new int[rows];
            Arrays.setAll(parents, r -> r);
            Candidates out = null;
            for (int len = start; len < maxLength; len++) {
                int[] forced = new int[rows];
                Arrays.fill(forced, len == 1 && forcedBos >= 0 ? forcedBos : len == maxLength - 1 ? forcedEos : -1);
                int[] bans = banned < 0 ? new int[0] : parents.clone();
                int[] banTokens = new int[bans.length];
                Arrays.fill(banTokens, banned);
                StepRequest req = new StepRequest(1, forced, bans, banTokens, false);
                int[] tokens = new int[rows];
                for (int r = 0; r < rows; r++) {
                    tokens[r] = len == start ? 0 : out.token(r, 0);
                    generated[r][len - 1] = tokens[r];
                }
                out = len == start ? m.start(new Batch(ids, mask), 1, req) : m.next(tokens, parents, req);
                for (int r = 0; r < rows; r++) {
                    generated[r][len] = out.token(r, 0);
                }
            }
            return null;
        });
        for (int r = 0; r < rows; r++) {
            int[] hf = Arrays.copyOfRange(expected[r], start, expected[r].length);
            int end = 0;
            while (end < hf.length && hf[end] != eos) {
                end++;
            }
            int[] ours = Arrays.copyOfRange(generated[r], start, start + Math.min(end + 1, hf.length));
            assertArrayEquals(Arrays.copyOf(hf, ours.length), ours, name + " row " + r);
        }
    }

    private static int intOr(JsonObject o, String key) {
        return o.get(key).isJsonNull() ? -1 : o.get(key).getAsInt();
    }

    /** Rows follow their parents: beams reordered and duplicated give the logits of their histories. */
    @Test
    void rowsFollowTheirParents() {
        int[][] prompts = {{0, 235, 275, 365, 2}, {0, 179, 434, 2, 1}};
        int[][] mask = {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 0}};
        withModel("bart", m -> {
            m.start(new Batch(prompts, mask), 2, request(4, 2, false));
            // sentence 0's beams swap and take tokens 7 and 9; sentence 1 keeps only its beam 1 twice.
            Candidates beams = m.next(new int[] {7, 9, 11, 12}, new int[] {1, 0, 3, 3}, request(4, 3, true));
            for (int r = 0; r < 4; r++) {
                int s = r < 2 ? 0 : 1;
                int token = new int[] {7, 9, 11, 12}[r];
                int[] p = Arrays.copyOf(prompts[s], s == 0 ? 5 : 4);
                m.start(single(p), 1, request(1, 1, false));
                Candidates alone = m.next(new int[] {token}, new int[] {0}, request(1, 3, true));
                for (int t = 0; t < 512; t++) {
                    assertEquals(alone.logits()[t], beams.logits()[r * 512 + t], 1e-9, "row " + r + " token " + t);
                }
                m.start(new Batch(prompts, mask), 2, request(4, 2, false));
                beams = m.next(new int[] {7, 9, 11, 12}, new int[] {1, 0, 3, 3}, request(4, 3, true));
            }
            return null;
        });
    }

    /** Scores are log_softmax of the logits; bans and forced tokens apply after it; ties go to the lower id. */
    @Test
    void stepRequestConstraintsAndOrder() {
        withModel("gpt2", m -> {
            int[] prompt = {341, 85, 82};
            Candidates free = m.start(single(prompt), 1, request(1, 4, true));
            double max = Double.NEGATIVE_INFINITY;
            for (float l : free.logits()) {
                max = Math.max(max, l);
            }
            double sum = 0;
            for (float l : free.logits()) {
                sum += Math.exp(l - max);
            }
            int best = free.token(0, 0);
            assertEquals(free.logits()[best] - max - Math.log(sum), free.score(0, 0), 1e-5);
            for (int j = 1; j < 4; j++) {
                assertTrue(free.score(0, j) <= free.score(0, j - 1));
            }
            // banning the best promotes the second, with its score unchanged (no renormalisation)
            Candidates banned = m.start(single(prompt), 1,
                    new StepRequest(2, new int[] {-1}, new int[] {0}, new int[] {best}, false));
            assertEquals(free.token(0, 1), banned.token(0, 0));
            assertEquals(free.score(0, 1), banned.score(0, 0));
            assertEquals(null, banned.logits());
            // a forced token scores 0 and every other -inf, in id order
            Candidates forced = m.start(single(prompt), 1, new StepRequest(3, new int[] {300}, new int[0], new int[0], false));
            assertArrayEquals(new int[] {300, 0, 1}, forced.tokens());
            assertArrayEquals(new float[] {0, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, forced.scores());
            return null;
        });
    }

    @Test
    void erfMatchesKnownValues() {
        assertEquals(0.0, ReferenceModel.erf(0), 0);
        assertEquals(0.1124629160182849, ReferenceModel.erf(0.1), 1e-15);
        assertEquals(0.5204998778130465, ReferenceModel.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, ReferenceModel.erf(1), 1e-15);
        assertEquals(-0.9953222650189527, ReferenceModel.erf(-2), 1e-15);
        assertEquals(0.9995930479825550, ReferenceModel.erf(2.5), 1e-15);
        assertEquals(0.9999779095030014, ReferenceModel.erf(3), 1e-15);
        assertEquals(0.9999999845827421, ReferenceModel.erf(4), 1e-15);
        assertEquals(1.0, ReferenceModel.erf(8), 1e-15);
    }
}
