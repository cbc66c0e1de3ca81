package elattn.cli;

import java.io.PrintWriter;

/**
 * Progress of a batch job on stderr: records done of the total, records per second and the time
 * left. On a terminal one line redrawn in place; otherwise (a log file, CI) a plain line at most
 * every {@link #PLAIN_EVERY_NANOS} and one at the end.
 */
final class Progress {
    private static final long PLAIN_EVERY_NANOS = 5_000_000_000L;
    private static final int BAR = 24;

    private final PrintWriter err;
    private final boolean terminal;
    private final String label;
    private final int total;
    private final long start = System.nanoTime();
    private long lastPlain = start;
    private int done;

    /** {@code total} records to do in this run (resumed ones excluded). */
    Progress(PrintWriter err, boolean terminal, String label, int total) {
        this.err = err;
        this.terminal = terminal;
        this.label = label;
        this.total = total;
    }

    void advance(int records) {
        done += records;
        long now = System.nanoTime();
        if (terminal) {
            err.print("\r" + line(now));
            err.flush();
        } else if (now - lastPlain >= PLAIN_EVERY_NANOS && done < total) {
            lastPlain = now;
            err.println(line(now));
        }
    }

    void finish() {
        String last = line(System.nanoTime());
        err.println(terminal ? "\r" + last : last);
        err.flush();
    }

    private String line(long now) {
        double seconds = (now - start) / 1e9;
        double rate = seconds > 0 ? done / seconds : 0;
        String eta = done >= total ? "done" : rate > 0 ? "ETA " + duration((total - done) / rate) : "ETA ?";
        String counts = String.format("%s %d/%d records, %.2f records/s, %s", label, done, total, rate, eta);
        if (!terminal) {
            return counts;
        }
        int filled = total == 0 ? BAR : (int) ((long) BAR * done / total);
        return "[" + "#".repeat(filled) + " ".repeat(BAR - filled) + "] " + counts;
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
