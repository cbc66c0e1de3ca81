package elattn.text;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real GPT-2 vocabulary ({@code vocab.json}, {@code merges.txt}) in the project's shared data:
 * {@code ../shared/data/gpt2-bpe} from the Maven basedir in CI, or the same path under the nearest
 * folder above it that has one (a git worktree lies deeper than the main checkout).
 */
final class Gpt2Data {
    private Gpt2Data() {
    }

    static Path dir() {
        Path base = Path.of("").toAbsolutePath();
        for (Path p = base.getParent(); p != null; p = p.getParent()) {
            Path d = p.resolve("shared").resolve("data").resolve("gpt2-bpe");
            if (Files.isRegularFile(d.resolve("vocab.json")) && Files.isRegularFile(d.resolve("merges.txt"))) {
                return d;
            }
        }
        return fail("GPT-2 vocabulary not found: expected vocab.json and merges.txt in ../shared/data/gpt2-bpe "
                + "relative to " + base + " (or in shared/data/gpt2-bpe of a folder above it)");
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
