package elattn.text;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in the text the way HF tokenizers does, before any pre-tokenization: first
 * the tokens marked not {@code normalized} over the whole text, then the normalized ones in each
 * piece of text left between matches. Each pass takes leftmost-longest matches (HF uses an
 * Aho-Corasick automaton in that mode); {@code single_word} tokens inside a word are skipped,
 * {@code lstrip}/{@code rstrip} tokens take the whitespace beside them.
 */
final class AddedVocabulary {
    /** A piece of text: either an added token's id with the text it covers, or plain text ({@code id < 0}). */
    record Piece(int id, String text) {
    }

    private final Map<Character, List<AddedToken>> raw;
    private final Map<Character, List<AddedToken>> normalized;

    AddedVocabulary(List<AddedToken> tokens) {
        raw = byFirstChar(tokens.stream().filter(t -> !t.normalized()).toList());
        normalized = byFirstChar(tokens.stream().filter(AddedToken::normalized).toList());
    }

    /** Candidates per first character, longest first so that the first match found is the longest. */
    private static Map<Character, List<AddedToken>> byFirstChar(List<AddedToken> tokens) {
        Map<Character, List<AddedToken>> map = new HashMap<>();
        for (AddedToken t : tokens) {
            map.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
        }
        map.values().forEach(l -> l.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed()));
        return map;
    }

    /** Cuts {@code text} into added tokens and the plain text between them, in order, with no empty text pieces. */
    List<Piece> split(String text) {
        List<Piece> out = new ArrayList<>();
        if (raw.isEmpty() && normalized.isEmpty()) {
            if (!text.isEmpty()) {
                out.add(new Piece(-1, text));
            }
            return out;
        }
        for (Piece p : find(text, raw)) {
            if (p.id() >= 0) {
                out.add(p);
            } else {
                out.addAll(find(p.text(), normalized));
            }
        }
        return out;
    }

    private static List<Piece> find(String s, Map<Character, List<AddedToken>> tokens) {
        List<Piece> out = new ArrayList<>();
        int done = 0;
        int i = 0;
        while (i < s.length() && !tokens.isEmpty()) {
            AddedToken match = null;
            List<AddedToken> candidates = tokens.get(s.charAt(i));
            if (candidates != null) {
                for (AddedToken t : candidates) {
                    if (s.startsWith(t.content(), i)) {
                        match = t;
                        break;
                    }
                }
            }
            if (match == null) {
                i++;
                continue;
            }
            int start = i;
            int stop = i + match.content().length();
            i = stop;
            if (match.singleWord() && (start > 0 && isWordChar(s.codePointBefore(start))
                    || stop < s.length() && isWordChar(s.codePointAt(stop)))) {
                continue;
            }
            if (match.lstrip()) {
                int k = start;
                while (k > 0 && isWhitespace(s.codePointBefore(k))) {
                    k -= Character.charCount(s.codePointBefore(k));
                }
                start = Math.max(k, done);
            }
            if (match.rstrip()) {
                while (stop < s.length() && isWhitespace(s.codePointAt(stop))) {
                    stop += Character.charCount(s.codePointAt(stop));
                }
            }
            if (done < start) {
                out.add(new Piece(-1, s.substring(done, start)));
            }
            out.add(new Piece(match.id(), s.substring(start, stop)));
            done = stop;
            i = stop;
        }
        if (done < s.length()) {
            out.add(new Piece(-1, s.substring(done)));
        }
        return out;
    }

    /** Rust's {@code char::is_alphanumeric}: alphabetic or numeric. */
    private static boolean isWordChar(int c) {
        if (Character.isAlphabetic(c)) {
            return true;
        }
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** Rust's {@code char::is_whitespace}: the Unicode White_Space property. */
    private static boolean isWhitespace(int c) {
        return PreTokenizer.ByteLevelSplit.isSpace(c);
    }
}
