package elattn.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The {@code --output} file of a generation job, written so that no finished result is lost. The
 * job locks it ({@link OutputLock}) for its whole run, and nothing in it is touched until every
 * check has passed ({@link #start}). Then the records go
 * <ul>
 *   <li>with {@code --resume}: after the records an earlier run wrote ({@link JsonlOutput}), once
 *       its torn last line is cut off;</li>
 *   <li>JSONL with no earlier result: straight into the file, so a killed job leaves its finished
 *       records there for {@code --resume};</li>
 *   <li>text, or JSONL over an earlier result ({@code --overwrite}): into {@code FILE.partial},
 *       renamed over the file when the job ends well, so the file holds the earlier result until
 *       then (a text file has no ids to resume from: it appears whole or not at all).</li>
 * </ul>
 * Each record is one write of whole lines, so a killed job leaves complete lines and at most one
 * torn last line.
 */
final class OutputFile implements AutoCloseable {
    private final Path file;
    private final OutputLock lock;
    /** What an earlier run wrote, with --resume; else null. */
    private final JsonlOutput earlier;
    /** Where the records go until the job ends well; null when they go into the file itself. */
    private final Path partial;
    /** Whether the file was not there before the job: a job that writes nothing leaves nothing. */
    private final boolean absent;
    private FileChannel channel;
    private boolean committed;

    private OutputFile(Path file, OutputLock lock, JsonlOutput earlier, Path partial, boolean absent) {
        this.file = file;
        this.lock = lock;
        this.earlier = earlier;
        this.partial = partial;
        this.absent = absent;
    }

    /**
     * Locks {@code file} for the job named by {@code holder} and reads what an earlier run left in
     * it; writes nothing. A non-empty file needs {@code resume} (keep its records) or
     * {@code overwrite} (replace them once the job is done), so a finished result is never
     * clobbered by accident.
     */
    static OutputFile open(Path file, IoOptions.Format format, boolean resume, boolean overwrite, String holder) {
        OutputLock lock = OutputLock.acquire(file, holder);
        try {
            if (Files.isDirectory(file)) {
                throw new CliException(file + " is a folder; give --output a file name");
            }
            boolean absent = !Files.exists(file);
            boolean holdsResult = !absent && Files.size(file) > 0;
            if (holdsResult && !resume && !overwrite) {
                throw new CliException(file + " exists; " + (format == IoOptions.Format.jsonl
                        ? "pass --resume to skip the records it holds, or --overwrite to start over"
                        : "pass --overwrite to replace it"));
            }
            JsonlOutput earlier = resume && holdsResult ? JsonlOutput.read(file) : null;
            boolean replace = format == IoOptions.Format.text || holdsResult && overwrite;
            Path partial = replace ? file.resolveSibling(file.getFileName() + ".partial") : null;
            return new OutputFile(file, lock, earlier, partial, absent);
        } catch (IOException e) {
            lock.close();
            throw CliException.cannot("read", file, e);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /** The records of {@code input} still to do: all of them, or with --resume those the earlier run did not write. */
    List<InputRecord> remaining(List<InputRecord> input) {
        return earlier != null ? earlier.remaining(input) : input;
    }

    /**
     * Opens the file for the records (cutting an earlier run's torn line off): call it once every
     * check has passed. Returns what resuming found, for the job's first stderr line, or null.
     */
    String start() {
        Path target = partial != null ? partial : file;
        try {
            channel = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            long keep = earlier != null ? earlier.completeBytes() : 0;
            channel.truncate(keep);
            channel.position(keep);
        } catch (IOException e) {
            throw CliException.cannot("write", target, e);
        }
        return earlier != null ? earlier.note() : null;
    }

    /** Appends whole lines (one record's) with one write. */
    void write(String lines) {
        ByteBuffer bytes = ByteBuffer.wrap(lines.getBytes(StandardCharsets.UTF_8));
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            throw CliException.cannot("write", partial != null ? partial : file, e);
        }
    }

    /** The job is done: its records are in the file, renamed over it from {@code FILE.partial} when they went there. */
    void commit() {
        try {
            if (partial != null) {
                channel.force(true);
            }
            channel.close();
            if (partial != null) {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw CliException.cannot("write", file, e);
        }
        committed = true;
    }

    /**
     * Ends the job's hold on the file. A job that failed leaves the file as the earlier run left it
     * plus the records it finished (removing {@code FILE.partial}, and the file it made itself
     * when it wrote no record); then the lock goes.
     */
    @Override
    public void close() {
        try {
            if (channel != null && channel.isOpen()) {
                channel.close();
            }
            if (!committed) {
                if (partial != null) {
                    Files.deleteIfExists(partial);
                } else if (absent && Files.exists(file) && Files.size(file) == 0) {
                    Files.delete(file);
                }
            }
        } catch (IOException e) {
            throw CliException.cannot("close", file, e);
        } finally {
            lock.close();
        }
    }
}
