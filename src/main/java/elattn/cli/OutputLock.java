package elattn.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps two jobs from writing one output: a job holds an OS lock on {@code FILE.lock} beside its
 * output from before it reads the output until it is done with it, and writes into that file who
 * it is, so a second job is refused with a line naming the holder. The OS drops the lock when its
 * process ends, however it ends, so the lock file a killed job leaves behind holds nothing. The
 * lock is on a file of its own because a job may replace the output by a rename, and a lock on the
 * old output would not cover the new one.
 */
final class OutputLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);
    private static final int ATTEMPTS = 10;
    /** Enough of a command line to tell jobs apart: inputs given as arguments can be long. */
    private static final int COMMAND_CHARS = 300;
    /**
     * The lock files this JVM holds, with their holders. The OS lock is per process: a second
     * channel of this JVM could not take it (OverlappingFileLockException), and closing that
     * channel would drop the lock the first one holds (POSIX record-lock semantics).
     */
    private static final Map<Path, String> HELD = new HashMap<>();

    private final Path file;
    /** Holds the lock: closing it lets the lock go. */
    private final FileChannel channel;

    private OutputLock(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Who a job is, for the message that refuses another: process id, start time and command line (its start). */
    static String holder(List<String> args) {
        String command = String.join(" ", args);
        return "pid " + ProcessHandle.current().pid() + ", started " + Instant.now().truncatedTo(ChronoUnit.SECONDS)
                + ": elattn " + (command.length() <= COMMAND_CHARS ? command : command.substring(0, COMMAND_CHARS) + "…");
    }

    /** Locks {@code output} for this job, or refuses with the holder when another job has it. */
    static OutputLock acquire(Path output, String holder) {
        Path file;
        try {
            Path folder = output.toAbsolutePath().getParent();
            Files.createDirectories(folder);
            file = folder.toRealPath().resolve(output.getFileName() + ".lock");
        } catch (IOException e) {
            throw CliException.cannot("write", output, e);
        }
        synchronized (HELD) {
            String inThisJvm = HELD.get(file);
            if (inThisJvm != null) {
                throw refused(output, inThisJvm);
            }
            OutputLock taken = take(output, file, holder);
            HELD.put(file, holder);
            return taken;
        }
    }

    private static OutputLock take(Path output, Path file, String holder) {
        try {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                Object before = createdKey(file);
                FileChannel channel;
                try {
                    channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
                } catch (NoSuchFileException e) {
                    continue;
                }
                FileLock lock = tryLock(channel);
                if (lock == null) {
                    String other = read(channel);
                    channel.close();
                    throw refused(output, other.isBlank() ? "it has not said who it is yet" : other);
                }
                // A job that ends deletes its lock file while it still holds the lock: the file
                // opened here may be that deleted one, or a later job may have made a new one.
                if (before != null && Objects.equals(before, key(file))) {
                    channel.truncate(0);
                    channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                    return new OutputLock(file, channel);
                }
                lock.release();
                channel.close();
            }
            throw new CliException(output + ": other jobs keep taking and leaving " + file + "; try again");
        } catch (IOException e) {
            throw CliException.cannot("lock", file, e);
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    /** The lock file's identity (device and inode), creating it first; null when it vanished meanwhile. */
    private static Object createdKey(Path file) throws IOException {
        try {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            // another job's, or one a killed job left
        }
        return key(file);
    }

    private static Object key(Path file) throws IOException {
        try {
            Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
            return key != null ? key : file;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static String read(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        channel.read(buffer, 0);
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).strip();
    }

    private static CliException refused(Path output, String holder) {
        return new CliException(output + " is being written by another elattn job (" + holder
                + "); wait for it to end, or choose another --output");
    }

    /** Deletes the lock file and then lets the lock go, so no job ever takes a lock file this one still writes. */
    @Override
    public void close() {
        synchronized (HELD) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.warn("cannot remove {} (harmless: a lock file nobody holds locks nothing): {}", file, e.toString());
            }
            try {
                channel.close();
            } catch (IOException e) {
                throw CliException.cannot("unlock", file, e);
            } finally {
                HELD.remove(file);
            }
        }
    }
}
