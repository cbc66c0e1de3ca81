package elattn.testing;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.opentest4j.AssertionFailedError;

/**
 * Seeded fuzzing of the file loaders (issue 12). Each case runs on a thread of its own under a hang
 * guard and must end either in a result or in one of the loader's user-facing exceptions (those
 * whose message the {@code elattn} command prints as {@code elattn: MESSAGE}), whose message is one
 * non-empty line of bounded length that names the file and shows no Java internals. A test collects
 * every case that breaks this and fails at the end with one line per distinct defect (the kind of
 * break and where in elattn it came from), its count and its first case, so a run can be repeated.
 *
 * <p>The cases come from a fixed seed, so CI runs the same ones every time. System properties widen
 * a local run: {@code -Delattn.fuzz.tries=N} sets the number of random cases of each generator
 * (each test picks a default that keeps all fuzz tests within a minute on two cores) and
 * {@code -Delattn.fuzz.seed=S} draws other cases.
 */
public final class Fuzz {
    /** Generous for a case that takes milliseconds: it tells a hang, it does not measure speed. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(10);
    /** A message may carry a short JSON value or parser position beside the file; longer is a dump. */
    private static final int MAX_MESSAGE_CHARS = 400;
    private static final Pattern JAVA_INTERNALS = Pattern.compile(
            "Exception|Error:|java\\.|com\\.google|Cannot invoke|because \"|because the return value");
    private static final long SEED = Long.getLong("elattn.fuzz.seed", 12L);
    private static final int FIRST_CASES_SHOWN = 12;

    private Fuzz() {
    }

    /** The number of random cases a generator draws: {@code -Delattn.fuzz.tries}, else {@code ciDefault}. */
    public static int tries(int ciDefault) {
        return Integer.getInteger("elattn.fuzz.tries", ciDefault);
    }

    /** The random source of one generator: the run's seed mixed with the generator's name. */
    public static SplittableRandom random(String generator) {
        return new SplittableRandom(SEED * 0x9E3779B97F4A7C15L + generator.hashCode());
    }

    /** What loading a case does; anything it throws is judged. */
    @FunctionalInterface
    public interface Load {
        void run() throws Exception;
    }

    /**
     * The cases of one test: {@link #check} each, then {@link #assertAllEndedWell()}.
     *
     * @param mustName   text every error message must contain (the file's or folder's path)
     * @param userErrors the exception types the loader reports bad input with
     */
    public static Run run(String mustName, List<Class<? extends Throwable>> userErrors) {
        return new Run(mustName, userErrors);
    }

    /** Collects the cases that did not end well, by defect. */
    public static final class Run {
        private final String mustName;
        private final List<Class<? extends Throwable>> userErrors;
        private final Map<String, List<String>> defects = new LinkedHashMap<>();
        private int cases;

        private Run(String mustName, List<Class<? extends Throwable>> userErrors) {
            this.mustName = mustName;
            this.userErrors = List.copyOf(userErrors);
        }

        /** Runs one case, described by {@code name} (enough to make it again), and judges how it ended. */
        public void check(String name, Load load) {
            cases++;
            Throwable thrown;
            try {
                thrown = assertTimeoutPreemptively(HANG_GUARD, () -> {
                    try {
                        load.run();
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                });
            } catch (AssertionFailedError timeout) {
                defects.computeIfAbsent("did not end within " + HANG_GUARD.toSeconds() + " s (hang)",
                        k -> new ArrayList<>()).add(name);
                return;
            }
            String defect = thrown == null ? null : judge(thrown);
            if (defect != null) {
                defects.computeIfAbsent(defect, k -> new ArrayList<>()).add(name + " -> " + thrown);
            }
        }

        /** Null when {@code t} is a good user-facing error, else what is wrong with it and where it came from. */
        private String judge(Throwable t) {
            if (userErrors.stream().noneMatch(c -> c.isInstance(t))) {
                return t.getClass().getSimpleName() + " escaped from " + origin(t);
            }
            String m = t.getMessage();
            if (m == null || m.isBlank()) {
                return "empty message from " + origin(t);
            }
            if (m.lines().count() > 1) {
                return "a message of several lines from " + origin(t);
            }
            if (!m.contains(mustName)) {
                return "a message that does not name " + mustName + " from " + origin(t);
            }
            if (m.length() > mustName.length() + MAX_MESSAGE_CHARS) {
                return "a message over " + MAX_MESSAGE_CHARS + " characters beside the path from " + origin(t);
            }
            if (JAVA_INTERNALS.matcher(m).find()) {
                return "a message with Java internals from " + origin(t);
            }
            return null;
        }

        /** The first elattn frame that is not a test's, where the throwable (or its cause) was made. */
        private static String origin(Throwable t) {
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getClassName().startsWith("elattn.") && !e.getClassName().startsWith("elattn.testing.")
                        && !e.getClassName().endsWith("Test") && !e.getClassName().contains("Test$")) {
                    return e.getClassName().substring(e.getClassName().lastIndexOf('.') + 1) + "." + e.getMethodName()
                            + ":" + e.getLineNumber();
                }
            }
            return "outside elattn";
        }

        /** Fails with every defect found, its count and first cases; passes when all cases ended well. */
        public void assertAllEndedWell() {
            if (defects.isEmpty()) {
                return;
            }
            StringBuilder report = new StringBuilder(defects.size() + " defect(s) in " + cases + " cases (seed "
                    + SEED + "):");
            defects.forEach((defect, hits) -> {
                report.append("\n  ").append(defect).append(": ").append(hits.size()).append(" case(s)");
                hits.stream().limit(FIRST_CASES_SHOWN / defects.size() + 1)
                        .forEach(h -> report.append("\n      ").append(h.length() > 600 ? h.substring(0, 600) + "..." : h));
            });
            fail(report.toString());
        }
    }
}
