package elattn.cli;

import com.google.gson.JsonElement;

/**
 * One input of a job: text or token ids (with an optional attention mask), the id its output
 * record carries, an optional reference (eval) and where it came from (for error messages).
 *
 * @param id            the record's {@code id} as given, else its line number (JSONL) or position (arguments)
 * @param text          the text to encode, or null when {@code inputIds} are given
 * @param inputIds      token ids, or null for text
 * @param attentionMask the ids' mask, or null (all ones)
 * @param reference     the reference output (eval), or null
 * @param where         "FILE line N", "argument N" or "stdin"
 */
record InputRecord(JsonElement id, String text, int[] inputIds, int[] attentionMask, String reference, String where) {
    /** The id as the key resume compares: its JSON text, so 7 and "7" stay different. */
    String key() {
        return id.toString();
    }
}
