package elattn.text;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One step of HF's pre-tokenization: cuts a piece of text into smaller pieces, which BPE then
 * encodes separately. Steps run in order, each on every piece the previous step produced; HF's
 * {@code Sequence} pre-tokenizer is a list of them.
 */
sealed interface PreTokenizer {
    /** Appends the pieces of {@code text} (never empty ones) to {@code out}. */
    void split(String text, List<String> out);

    /**
     * HF's {@code ByteLevel} pre-tokenizer: optionally a space in front (so that the first word is
     * encoded like a word inside a sentence), then, with {@code useRegex}, GPT-2's split
     * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}, scanned
     * here by hand, which is several times faster than the regex and matches it exactly.
     */
    record ByteLevelSplit(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        @Override
        public void split(String text, List<String> out) {
            if (text.isEmpty()) {
                return;
            }
            String s = addPrefixSpace && text.charAt(0) != ' ' ? " " + text : text;
            if (!useRegex) {
                out.add(s);
                return;
            }
            int n = s.length();
            int i = 0;
            while (i < n) {
                int end = matchAt(s, i);
                out.add(s.substring(i, end));
                i = end;
            }
        }

        /** The end of the GPT-2 pattern's match at {@code i} (the pattern always matches one code point or more). */
        static int matchAt(String s, int i) {
            int n = s.length();
            int c = s.codePointAt(i);
            if (c == '\'' && i + 1 < n) {
                char d = s.charAt(i + 1);
                if (d == 's' || d == 't' || d == 'm' || d == 'd') {
                    return i + 2;
                }
                if (i + 2 < n) {
                    char e = s.charAt(i + 2);
                    if ((d == 'r' || d == 'v') && e == 'e' || d == 'l' && e == 'l') {
                        return i + 3;
                    }
                }
            }
            int start = i;
            if (c == ' ' && i + 1 < n && !isSpace(s.codePointAt(i + 1))) {
                start = i + 1;
                c = s.codePointAt(start);
            }
            int cls = charClass(c);
            if (cls != SPACE) {
                int j = start + Character.charCount(c);
                while (j < n) {
                    int d = s.codePointAt(j);
                    if (charClass(d) != cls) {
                        break;
                    }
                    j += Character.charCount(d);
                }
                return j;
            }
            int j = i;
            int last = i;
            while (j < n) {
                int d = s.codePointAt(j);
                if (!isSpace(d)) {
                    break;
                }
                last = j;
                j += Character.charCount(d);
            }
            // \s+(?!\S) leaves the last space to the next word; a single space before a word is \s+.
            return j == n || last == i ? j : last;
        }

        private static final int LETTER = 0;
        private static final int NUMBER = 1;
        private static final int OTHER = 2;
        private static final int SPACE = 3;

        private static int charClass(int c) {
            if (isSpace(c)) {
                return SPACE;
            }
            if (Character.isLetter(c)) {
                return LETTER;
            }
            return switch (Character.getType(c)) {
                case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
                default -> OTHER;
            };
        }

        /** Oniguruma's Unicode {@code \s}: tab to carriage return, NEL, and the space, line and paragraph separators. */
        static boolean isSpace(int c) {
            if (c == ' ' || (c >= '\t' && c <= '\r')) {
                return true;
            }
            if (c < 0x85) {
                return false;
            }
            if (c == 0x85) {
                return true;
            }
            int t = Character.getType(c);
            return t == Character.SPACE_SEPARATOR || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR;
        }
    }

    /**
     * HF's {@code Split} pre-tokenizer with behavior {@code Isolated} (matches and the text between
     * them become pieces) or {@code Removed} (matches are dropped).
     */
    record RegexSplit(Pattern pattern, boolean removeMatches) implements PreTokenizer {
        @Override
        public void split(String text, List<String> out) {
            Matcher m = pattern.matcher(text);
            int last = 0;
            while (m.find()) {
                if (m.end() == m.start()) {
                    continue;
                }
                if (m.start() > last) {
                    out.add(text.substring(last, m.start()));
                }
                if (!removeMatches) {
                    out.add(m.group());
                }
                last = m.end();
            }
            if (last < text.length()) {
                out.add(text.substring(last));
            }
        }
    }
}
