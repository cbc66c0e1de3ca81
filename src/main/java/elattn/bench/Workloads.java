package elattn.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import elattn.bench.Workload.Inputs;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The workloads of issue 13's benchmark: the shipped model as a user runs it, and the shapes of
 * the models people run most, each with the lengths real inputs have where it matters. The HF
 * configs of the random-weight models are resources beside this class
 * ({@code elattn/bench/workloads/NAME.json}), so both sides of the comparison read the same file.
 */
public final class Workloads {
    /** Seed of every workload's random weights and token ids. */
    public static final long SEED = 1234;
    private static final String CONFIGS = "elattn/bench/workloads/";

    private Workloads() {
    }

    /** Every workload, in the order reports list them. */
    public static List<Workload> all() {
        return List.of(debianBart(), marianOpus(), gpt2Small(), bartLarge(), distilbart());
    }

    /** The workload called {@code name}. */
    public static Workload named(String name) {
        return all().stream().filter(w -> w.name().equals(name)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("no workload '" + name + "'; workloads are "
                        + String.join(", ", all().stream().map(Workload::name).toList())));
    }

    /**
     * The shipped {@code debian-bart} on the Debian test split (1,292 records), batch 64, with its
     * own {@code generation_config.json} (beam 4, max length 40, no 3-gram repeated): exactly
     * {@code elattn summarize --input FILE --input-field description --batch-size 64 --truncate}.
     */
    public static Workload debianBart() {
        return new Workload("debian-bart", "the shipped debian-bart on the Debian test split, its own generation"
                + " config (beam 4, max length 40, no_repeat_ngram 3)", "debian-bart", null, Inputs.DEBIAN_TEXTS,
                0, 0, 64, new JsonObject(), SEED);
    }

    /**
     * Marian opus-mt-en-de's shape (d 512, 6 + 6 layers, 8 heads, FFN 2048, vocab 58101), inputs of
     * the Debian test split's lengths, beam 4, exactly 64 new tokens, batch 64.
     */
    public static Workload marianOpus() {
        return random("marian-opus", "Marian opus-mt-en-de shape (d 512, 6+6 layers), Debian test split lengths,"
                + " beam 4, exactly 64 new tokens", Inputs.DEBIAN_LENGTHS, 0, 0, 64, exactly(4, 64));
    }

    /** GPT-2 small's shape (12 layers, d 768, 12 heads, vocab 50257), 64-token prompts, greedy, exactly 64 new tokens, batch 64, 512 prompts. */
    public static Workload gpt2Small() {
        JsonObject generation = exactly(1, 64);
        generation.addProperty("pad_token_id", 50256); // GPT-2 has no pad token: HF pads with EOS
        return random("gpt2-small", "GPT-2 small shape (12 layers, d 768), 64-token prompts, greedy, exactly 64"
                + " new tokens", Inputs.RANDOM, 64, 512, 64, generation);
    }

    /** BART-large's shape ({@code BartConfig()} defaults), 1024 source tokens, beam 4, exactly 128 new tokens, one batch of 256. */
    public static Workload bartLarge() {
        return random("bart-large", "BART-large shape (d 1024, 12+12 layers), 1024 source tokens, beam 4, exactly"
                + " 128 new tokens", Inputs.RANDOM, 1024, 256, 256, exactly(4, 128));
    }

    /**
     * distilbart-cnn-12-6's shape (12 encoder, 6 decoder layers, d 1024, 16 heads, FFN 4096, vocab
     * 50264), inputs of the Debian test split's lengths, beam 4, exactly 64 new tokens, batch 64.
     * Its own settings (min length 56, max 142, length penalty 2) would let random weights end each
     * sentence anywhere in between, differently on each side; a fixed length keeps the work equal.
     */
    public static Workload distilbart() {
        return random("distilbart", "distilbart-cnn-12-6 shape (12+6 layers, d 1024), Debian test split lengths,"
                + " beam 4, exactly 64 new tokens", Inputs.DEBIAN_LENGTHS, 0, 0, 64, exactly(4, 64));
    }

    private static Workload random(String name, String description, Inputs inputs, int width, int records,
            int batch, JsonObject generation) {
        return new Workload(name, description, null, hfConfig(name), inputs, width, records, batch, generation, SEED);
    }

    /** Beam search of {@code beams} (1: greedy) with exactly {@code tokens} new tokens (HF's min = max new tokens). */
    private static JsonObject exactly(int beams, int tokens) {
        JsonObject o = new JsonObject();
        o.addProperty("num_beams", beams);
        o.addProperty("min_new_tokens", tokens);
        o.addProperty("max_new_tokens", tokens);
        return o;
    }

    /** The HF {@code config.json} of workload {@code name}, from the resources. */
    static JsonObject hfConfig(String name) {
        String resource = CONFIGS + name + ".json";
        try (InputStream in = Workloads.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " is missing from the build");
            }
            return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + resource, e);
        }
    }
}
