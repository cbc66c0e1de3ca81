package elattn.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2's byte-level alphabet: every byte is shown as one printable character, so that BPE works on
 * text with no unknown symbols. Bytes that are printable Latin-1 ({@code !..~}, {@code ¡..¬},
 * {@code ®..ÿ}) stand for themselves; the other 68 are mapped in order to U+0100 and up (space is
 * {@code Ġ}, newline {@code Ċ}). Decoding undoes it and turns the bytes into text the way Rust's
 * {@code String::from_utf8_lossy} does, as HF tokenizers' ByteLevel decoder does.
 */
final class ByteLevel {
    /** The character for each byte. */
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** The byte for each character below {@link #CHAR_LIMIT}, or -1 for a character that stands for no byte. */
    private static final short[] CHAR_TO_BYTE;
    private static final int CHAR_LIMIT = 0x100 + 68;

    static {
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            BYTE_TO_CHAR[b] = (char) (printable ? b : next++);
        }
        CHAR_TO_BYTE = new short[CHAR_LIMIT];
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        for (int b = 0; b < 256; b++) {
            CHAR_TO_BYTE[BYTE_TO_CHAR[b]] = (short) b;
        }
    }

    private ByteLevel() {
    }

    /** The character that stands for byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b];
    }

    /** The UTF-8 bytes of {@code text}, each shown as its byte-level character. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /**
     * Appends the bytes {@code token} stands for: byte-level characters become their bytes; a token
     * with any other character (an added token such as {@code <mask>} written outside the alphabet)
     * contributes its own UTF-8 bytes, as in HF's decoder.
     */
    static void appendBytes(String token, ByteArrayOutputStream out) {
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c >= CHAR_LIMIT || CHAR_TO_BYTE[c] < 0) {
                out.writeBytes(token.getBytes(StandardCharsets.UTF_8));
                return;
            }
        }
        for (int i = 0; i < token.length(); i++) {
            out.write(CHAR_TO_BYTE[token.charAt(i)]);
        }
    }

    /**
     * Decodes UTF-8 replacing each maximal ill-formed subsequence with one U+FFFD (Unicode's
     * recommended practice, which Rust's {@code from_utf8_lossy} follows): a stray continuation byte
     * or an impossible byte is one U+FFFD; a lead byte with some but not all of its continuation
     * bytes is one U+FFFD for the whole truncated sequence.
     */
    static String decodeLossy(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length);
        int i = 0;
        while (i < b.length) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                sb.append((char) b0);
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F;
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                sb.append('\uFFFD');
                i++;
                continue;
            }
            int cp = b0 & (0x3F >> need);
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                int c = j < b.length ? b[j] & 0xFF : -1;
                if (c < (k == 0 ? lo : 0x80) || c > (k == 0 ? hi : 0xBF)) {
                    ok = false;
                    break;
                }
                cp = (cp << 6) | (c & 0x3F);
            }
            if (ok) {
                sb.appendCodePoint(cp);
            } else {
                sb.append('\uFFFD');
            }
            i = j;
        }
        return sb.toString();
    }
}
