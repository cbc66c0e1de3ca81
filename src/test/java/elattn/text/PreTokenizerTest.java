package elattn.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The hand-written GPT-2 split against the pattern itself run by java.util.regex (with Unicode
 * {@code \s}, as Oniguruma has it in HF tokenizers), on chosen and on random strings.
 */
class PreTokenizerTest {
    private static final Pattern GPT2 = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final PreTokenizer SPLIT = new PreTokenizer.ByteLevelSplit(false, true);

    private static List<String> regex(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = GPT2.matcher(s);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    private static List<String> split(PreTokenizer p, String s) {
        List<String> out = new ArrayList<>();
        p.split(s, out);
        return out;
    }

    @Test
    void splitsAsWorkedOutByHand() {
        assertEquals(List.of("Hello", " world", "!"), split(SPLIT, "Hello world!"));
        assertEquals(List.of("I", "'m", " here", ",", " they", "'re", " not"), split(SPLIT, "I'm here, they're not"));
        assertEquals(List.of("a", " ", " b"), split(SPLIT, "a  b"));
        assertEquals(List.of("a", "\n", "\n", "b"), split(SPLIT, "a\n\nb"));
        assertEquals(List.of("a", "  "), split(SPLIT, "a  "));
        assertEquals(List.of(" '", "s"), split(SPLIT, " 's"));
        assertEquals(List.of("!'", "s"), split(SPLIT, "!'s"));
        assertEquals(List.of("'", "S"), split(SPLIT, "'S")); // contractions are case-sensitive
        assertEquals(List.of("abc", "123", " 4", "\u00a0", "x"), split(SPLIT, "abc123 4\u00a0x"));
        assertEquals(List.of(), split(SPLIT, ""));
    }

    @Test
    void prefixSpaceIsAddedUnlessTheTextStartsWithOne() {
        PreTokenizer p = new PreTokenizer.ByteLevelSplit(true, true);
        assertEquals(List.of(" Hello"), split(p, "Hello"));
        assertEquals(List.of(" Hello"), split(p, " Hello"));
        assertEquals(List.of(" ", "\tHi".substring(0, 1), "Hi"), split(p, "\tHi"));
        assertEquals(List.of(" a b"), split(new PreTokenizer.ByteLevelSplit(true, false), "a b"));
    }

    @Test
    void matchesTheRegexOnChosenStrings() {
        for (String s : List.of("", " ", "   ", "\t\t a", "don't you'll we've I'd", "x''s", "3.14159 apples", "  \u3000\u2028 x",
                "caf\u00e9 na\u00efve \u65e5\u672c\u8a9e \ud83d\ude00\ud83d\udc4d\ud83c\udffd", "\u0661\u0662 \u2163 \u00bd",
                "a\r\nb\r\n", "\u0085x\u0085 y", "tab\tsep\tvalues", "___init__ --flag=1", "\ud83c\uddeb\ud83c\uddf7!!",
                "e\u0301 combining", "  leading and trailing  ")) {
            assertEquals(regex(s), split(SPLIT, s), s);
        }
    }

    @Test
    void matchesTheRegexOnRandomStrings() {
        String[] alphabet = {"a", "Z", "\u00e9", "\u4e2d", "1", "\u0663", "\u00bd", " ", "  ", "\t", "\n", "\u00a0", "\u3000",
            "'", "s", "re", "ll", "!", ".", "-", "\ud83d\ude00", "\u0301", "_", "\u0085", "\u2028", "\u200b"};
        Random random = new Random(42);
        for (int n = 0; n < 20_000; n++) {
            StringBuilder sb = new StringBuilder();
            int len = random.nextInt(12);
            for (int i = 0; i < len; i++) {
                sb.append(alphabet[random.nextInt(alphabet.length)]);
            }
            String s = sb.toString();
            assertEquals(regex(s), split(SPLIT, s), s);
        }
    }

    @Test
    void regexSplitIsolatesOrRemovesMatches() {
        Pattern digits = Pattern.compile("\\d+");
        assertEquals(List.of("ab", "12", "cd", "3"), split(new PreTokenizer.RegexSplit(digits, false), "ab12cd3"));
        assertEquals(List.of("ab", "cd"), split(new PreTokenizer.RegexSplit(digits, true), "ab12cd3"));
    }
}
