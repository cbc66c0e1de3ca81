package elattn.cli;

import elattn.model.device.AttentionMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Parses {@code --attention}: {@code el}, {@code mha}, or for eval and bench a comma list. */
final class Modes {
    private Modes() {
    }

    static AttentionMode parseOne(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "el" -> AttentionMode.EL;
            case "mha" -> AttentionMode.MHA;
            default -> throw new UsageException("--attention takes el or mha, not '" + name + "'");
        };
    }

    static List<AttentionMode> parseList(String names) {
        List<AttentionMode> out = new ArrayList<>();
        for (String n : names.split(",")) {
            AttentionMode m = parseOne(n);
            if (!out.contains(m)) {
                out.add(m);
            }
        }
        return out;
    }

    static String name(AttentionMode m) {
        return m.name().toLowerCase(Locale.ROOT);
    }
}
