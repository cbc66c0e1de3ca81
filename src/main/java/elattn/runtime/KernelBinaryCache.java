package elattn.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiled kernels on disk, so that a new process loads what an earlier one built instead of
 * running the device compiler again (NVRTC or an OpenCL driver: most of a fresh plan's start).
 * Backends name an entry by a {@link #key} of everything the binary depends on (source, build
 * options, compiler, driver and device), and store whatever their driver can load back.
 *
 * <p>The folder is {@code -D}{@value #PROPERTY}{@code =DIR}, else {@code $}{@value #ENVIRONMENT},
 * else {@code $XDG_CACHE_HOME/elattn/kernels} ({@code ~/.cache/elattn/kernels} without it);
 * {@value #OFF} for either turns the cache off. Entries are written to a temporary file and moved
 * into place, so processes sharing the folder never read half an entry; each carries a SHA-256 of
 * its binary, so a truncated or damaged one is recognised, ignored (one warning per process) and
 * overwritten when the kernel is built again. A folder that cannot be written to costs the cache,
 * never the run: one warning, and kernels are built as without it.
 */
public final class KernelBinaryCache {
    /** The system property naming the folder, or {@value #OFF}. */
    public static final String PROPERTY = "elattn.kernelCache";
    /** The environment variable naming the folder, or {@value #OFF}, when the property is not set. */
    public static final String ENVIRONMENT = "ELATTN_KERNEL_CACHE";
    /** The value that turns the cache off. */
    public static final String OFF = "off";

    private static final Logger LOG = LoggerFactory.getLogger(KernelBinaryCache.class);
    /** The first bytes of every entry, then the SHA-256 of the binary, then the binary. */
    private static final byte[] MAGIC = "elattn-kernel-1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int DIGEST_BYTES = 32;
    private static final String SUFFIX = ".bin";

    private static KernelBinaryCache configured;

    /** Null when the cache is off. */
    private final Path folder;
    private boolean writable = true;
    private boolean warnedIgnored;

    private KernelBinaryCache(Path folder) {
        this.folder = folder;
    }

    /** The cache the settings name ({@value #PROPERTY}, {@value #ENVIRONMENT}, XDG), read once per process. */
    public static synchronized KernelBinaryCache configured() {
        if (configured == null) {
            Optional<Path> folder = folder(System.getProperty(PROPERTY), System.getenv(), System.getProperty("user.home"));
            configured = new KernelBinaryCache(folder.orElse(null));
            LOG.debug("kernel binary cache: {}", folder.map(Path::toString).orElse("off"));
        }
        return configured;
    }

    /** A cache in {@code folder}, whatever the settings say. */
    public static KernelBinaryCache in(Path folder) {
        return new KernelBinaryCache(folder);
    }

    /** A cache that holds nothing. */
    public static KernelBinaryCache off() {
        return new KernelBinaryCache(null);
    }

    /**
     * The folder that {@code property}, else {@code environment}'s {@value #ENVIRONMENT}, else its
     * {@code XDG_CACHE_HOME} or {@code home/.cache}, name; empty when one of the first two says
     * {@value #OFF} (blank values count as unset).
     */
    static Optional<Path> folder(String property, Map<String, String> environment, String home) {
        for (String setting : new String[] {property, environment.get(ENVIRONMENT)}) {
            if (setting != null && !setting.isBlank()) {
                return setting.strip().equalsIgnoreCase(OFF) ? Optional.empty() : Optional.of(Path.of(setting.strip()));
            }
        }
        String xdg = environment.get("XDG_CACHE_HOME");
        Path root = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(home, ".cache");
        return Optional.of(root.resolve("elattn").resolve("kernels"));
    }

    /** Where the entries are; empty when the cache is off. */
    public Optional<Path> folder() {
        return Optional.ofNullable(folder);
    }

    /**
     * The name of the entry for a binary that depends on exactly {@code parts}: {@code prefix}, a
     * dash and the SHA-256 of the parts (each with its length, so no two lists of parts collide).
     */
    public static String key(String prefix, String... parts) {
        MessageDigest sha = sha256();
        for (String part : parts) {
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            sha.update(HexFormat.of().toHexDigits(bytes.length).getBytes(StandardCharsets.US_ASCII));
            sha.update(bytes);
        }
        return prefix + "-" + HexFormat.of().formatHex(sha.digest());
    }

    /**
     * The binary stored under {@code key}; empty when there is none, the cache is off, or the
     * entry is damaged (then it is ignored and will be overwritten).
     */
    public Optional<byte[]> read(String key) {
        if (folder == null) {
            return Optional.empty();
        }
        Path file = file(key);
        byte[] entry;
        try {
            entry = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            // Not the entry's fault (a folder that is a file, no permission): write() says what is wrong.
            LOG.debug("cannot read the cached kernel {}: {}", file, e.toString());
            return Optional.empty();
        }
        int header = MAGIC.length + DIGEST_BYTES;
        if (entry.length <= header || !Arrays.equals(entry, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            ignore(key, "it is not a kernel cache entry (" + entry.length + " bytes)");
            return Optional.empty();
        }
        byte[] binary = Arrays.copyOfRange(entry, header, entry.length);
        if (!Arrays.equals(entry, MAGIC.length, header, sha256().digest(binary), 0, DIGEST_BYTES)) {
            ignore(key, "its SHA-256 does not match (truncated or damaged)");
            return Optional.empty();
        }
        return Optional.of(binary);
    }

    /**
     * Stores {@code binary} under {@code key}, replacing what was there, atomically. A folder that
     * cannot be written to turns writing off for this cache, with one warning.
     */
    public synchronized void write(String key, byte[] binary) {
        if (folder == null || !writable) {
            return;
        }
        Path temporary = null;
        try {
            Files.createDirectories(folder);
            temporary = Files.createTempFile(folder, "." + key + "-", ".tmp");
            byte[] digest = sha256().digest(binary);
            byte[] entry = new byte[MAGIC.length + DIGEST_BYTES + binary.length];
            System.arraycopy(MAGIC, 0, entry, 0, MAGIC.length);
            System.arraycopy(digest, 0, entry, MAGIC.length, DIGEST_BYTES);
            System.arraycopy(binary, 0, entry, MAGIC.length + DIGEST_BYTES, binary.length);
            Files.write(temporary, entry);
            Files.move(temporary, file(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | UnsupportedOperationException e) {
            writable = false;
            LOG.warn("cannot write compiled kernels to {} ({}); kernels are built without caching (set -D{}=DIR or"
                    + " {}=DIR to a writable folder, or {} to turn the cache off)", folder, e, PROPERTY, ENVIRONMENT, OFF);
            deleteQuietly(temporary);
        }
    }

    /**
     * Notes that the entry under {@code key} was unusable ({@code why}: the driver refused it, or it
     * is damaged): warned once per cache, then at debug level. The next {@link #write} replaces it.
     */
    public synchronized void ignore(String key, String why) {
        String message = "ignoring the cached kernel " + file(key) + ": " + why + "; building it again";
        if (warnedIgnored) {
            LOG.debug(message);
        } else {
            warnedIgnored = true;
            LOG.warn(message);
        }
    }

    private Path file(String key) {
        return folder == null ? Path.of(key + SUFFIX) : folder.resolve(key + SUFFIX);
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.debug("cannot delete {}: {}", file, e.toString());
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "kernel binary cache " + (folder == null ? "(off)" : "in " + folder);
    }
}
