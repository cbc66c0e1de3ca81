package elattn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class OneLineTest {
    @Test
    void lineBreaksAndControlCharactersAreEscaped() {
        assertEquals("a\\nb\\r\\tc\\u0000d\\u2028e", OneLine.of("a\nb\r\tc\u0000d\u2028e"));
        String plain = "model.safetensors: tensor w has dtype I8";
        assertSame(plain, OneLine.of(plain));
    }

    @Test
    void quotesAreCutAtSixtyCharacters() {
        assertEquals("x".repeat(60), OneLine.brief("x".repeat(60)));
        assertEquals("x".repeat(60) + "...", OneLine.brief("x".repeat(61)));
        assertEquals("\\n".repeat(30) + "...", OneLine.brief("\n".repeat(31)));
    }

    @Test
    void longMessagesLoseTheirMiddle() {
        String m = "start " + "x".repeat(2000) + " what to do";
        String cut = OneLine.message(m);
        assertEquals(1005, cut.length());
        assertEquals("start ", cut.substring(0, 6));
        assertEquals(" what to do", cut.substring(cut.length() - 11));
        assertEquals(" ... ", cut.substring(500, 505));
    }
}
