package elattn.io;

/**
 * Error messages are one line (the {@code elattn} command prints them as {@code elattn: MESSAGE}),
 * but they quote what files hold: names and values that may contain line breaks or other control
 * characters. Those are shown escaped, as JSON writes them.
 */
public final class OneLine {
    /** Longest text quoted from a file in a message. */
    static final int QUOTE_CHARS = 60;
    /** Longest message: what is wrong comes first and what to do last, so a longer one loses its middle. */
    private static final int MESSAGE_CHARS = 1000;

    private OneLine() {
    }

    /**
     * An error message: escaped as {@link #of}, and past {@value #MESSAGE_CHARS} characters (a
     * very long path or name in it) cut in the middle, so that its start and its advice remain.
     */
    public static String message(String text) {
        String s = of(text);
        int keep = MESSAGE_CHARS / 2;
        return s.length() <= MESSAGE_CHARS ? s : s.substring(0, keep) + " ... " + s.substring(s.length() - keep);
    }

    /** {@code text} to quote in a message: escaped as {@link #of}, and cut short when long. */
    public static String brief(String text) {
        return cut(of(text));
    }

    /** {@code text} cut to {@link #QUOTE_CHARS}, with "..." where it was cut. */
    static String cut(String text) {
        return text.length() <= QUOTE_CHARS ? text : text.substring(0, QUOTE_CHARS) + "...";
    }

    /** {@code text} with line breaks and other control characters escaped ({@code \n}, {@code \u0000}). */
    public static String of(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean escape = Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
            if (escape && out == null) {
                out = new StringBuilder(text.length() + 8).append(text, 0, i);
            }
            if (out != null) {
                switch (c) {
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> out.append(escape ? "\\u%04x".formatted((int) c) : String.valueOf(c));
                }
            }
        }
        return out == null ? text : out.toString();
    }
}
