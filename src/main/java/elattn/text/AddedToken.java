package elattn.text;

/**
 * A token matched whole in the text before pre-tokenization, as in HF's {@code added_tokens}.
 *
 * @param content    the exact text of the token
 * @param id         its id
 * @param special    whether it is a control token ({@code <s>}, {@code <|endoftext|>}), left out when decoding with skipSpecialTokens
 * @param lstrip     whether the whitespace before it belongs to it (BART's {@code <mask>})
 * @param rstrip     whether the whitespace after it belongs to it
 * @param singleWord whether it only matches where it is not inside a word
 * @param normalized whether it is matched in the normalized text (with no normalizer, this only
 *                   changes which of HF's two matching passes finds it)
 */
public record AddedToken(String content, int id, boolean special, boolean lstrip, boolean rstrip, boolean singleWord,
        boolean normalized) {
    public AddedToken {
        if (content.isEmpty()) {
            throw new IllegalArgumentException("an added token cannot be empty (id " + id + ")");
        }
    }

    /** A special token with no stripping, matched anywhere: how GPT-2 and BART declare theirs. */
    public static AddedToken special(String content, int id) {
        return new AddedToken(content, id, true, false, false, false, false);
    }
}
