package elattn.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The byte-level alphabet and lossy UTF-8 decoding, against values worked out by hand from the spec. */
class ByteLevelTest {
    @Test
    void everyByteHasItsOwnCharacterAndComesBack() {
        Set<Character> seen = new HashSet<>();
        StringBuilder all = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.charOf(b);
            seen.add(c);
            all.append(c);
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (printable) {
                assertEquals(b, c);
            } else {
                assertTrue(c >= 0x100 && c < 0x100 + 68, "byte " + b + " maps above Latin-1");
            }
        }
        assertEquals(256, seen.size());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteLevel.appendBytes(all.toString(), out);
        byte[] back = out.toByteArray();
        assertEquals(256, back.length);
        for (int b = 0; b < 256; b++) {
            assertEquals(b, back[b] & 0xFF);
        }
    }

    @Test
    void printableBytesStandForThemselvesAndTheRestAreShiftedInOrder() {
        assertEquals("Hello", ByteLevel.encode("Hello"));
        assertEquals("\u0100", ByteLevel.encode("\0")); // first unprintable byte
        assertEquals("\u010A", ByteLevel.encode("\n")); // Ċ
        assertEquals("\u0120", ByteLevel.encode(" ")); // Ġ: space is the 33rd unprintable byte
        assertEquals("\u0121", ByteLevel.encode("\u007f")); // ġ: DEL comes right after space
        assertEquals('\u0143', ByteLevel.charOf(0xAD)); // soft hyphen, the last unprintable byte: 0x100 + 67
        assertEquals("\u00C3\u00A9", ByteLevel.encode("\u00e9")); // é = C3 A9, both printable Latin-1
    }

    @Test
    void tokenWithCharactersOutsideTheAlphabetDecodesAsItsOwnText() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteLevel.appendBytes("\u4e2d", out); // not a byte-level character
        assertEquals("\u4e2d", out.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void illFormedUtf8BecomesOneReplacementPerMaximalSubpart() {
        assertEquals("A\u20ac", ByteLevel.decodeLossy(bytes(0x41, 0xE2, 0x82, 0xAC)));
        assertEquals("\uFFFD", ByteLevel.decodeLossy(bytes(0xE2, 0x82))); // truncated euro sign
        assertEquals("\uFFFDA", ByteLevel.decodeLossy(bytes(0xF0, 0x9F, 0x98, 0x41))); // truncated emoji, then A
        assertEquals("\uFFFD\uFFFD", ByteLevel.decodeLossy(bytes(0x80, 0x80))); // stray continuations
        assertEquals("\uFFFD\uFFFD", ByteLevel.decodeLossy(bytes(0xC0, 0x80))); // overlong: C0 is never valid
        assertEquals("\uFFFD\uFFFD\uFFFD", ByteLevel.decodeLossy(bytes(0xED, 0xA0, 0x80))); // a surrogate
        assertEquals("\uFFFD\uFFFD", ByteLevel.decodeLossy(bytes(0xF4, 0x90))); // above U+10FFFF
        assertEquals("\uD83D\uDE00", ByteLevel.decodeLossy(bytes(0xF0, 0x9F, 0x98, 0x80)));
        assertEquals("\uFFFD", ByteLevel.decodeLossy(bytes(0xFF)));
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }
}
