package elattn.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The default models shipped inside the jar (resources {@code elattn/models/NAME/}, packaged from
 * the project's {@code models/} folder). A checkpoint is memory-mapped, which a jar entry cannot
 * be, so each model is extracted once to {@code $XDG_CACHE_HOME/elattn/models/NAME-HASH} (else
 * {@code ~/.cache/elattn/...}; the system property {@code elattn.cache} overrides), where HASH is
 * a SHA-256 of its files: a new build with other weights gets a new folder, and the same build
 * finds its folder and extracts nothing, after checking each file against its SHA-256 (a damaged
 * copy is extracted again, with a notice). Extraction writes to a temporary folder and renames it
 * atomically, so a concurrent or killed run never sees half a model.
 */
final class EmbeddedModels {
    /** The BART that writes a Debian package's synopsis from its description ({@code summarize}). */
    static final String BART = "debian-bart";
    /** The GPT-2 trained on the same descriptions ({@code generate}). */
    static final String GPT2 = "debian-gpt2";
    private static final String ROOT = "elattn/models/";

    private EmbeddedModels() {
    }

    /**
     * The folder of embedded model {@code name}, extracted if needed; a damaged cached copy is
     * extracted again, which {@code err} is told.
     */
    static Path folder(String name, PrintWriter err) {
        URL config = EmbeddedModels.class.getClassLoader().getResource(ROOT + name + "/config.json");
        if (config == null) {
            throw new CliException("this build has no embedded model " + name + " (models/" + name
                    + " was missing when the jar was built); pass --model DIR with a HF checkpoint folder");
        }
        try {
            return extract(name, config, err);
        } catch (IOException e) {
            throw new CliException("cannot extract the embedded model " + name + " to " + cacheRoot() + ": "
                    + e.getMessage() + " (set XDG_CACHE_HOME to a writable folder, or pass --model DIR)");
        }
    }

    static Path cacheRoot() {
        String property = System.getProperty("elattn.cache");
        if (property != null) {
            return Path.of(property);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache"))
                .resolve("elattn");
    }

    private static Path extract(String name, URL config, PrintWriter err) throws IOException {
        URI uri;
        try {
            uri = config.toURI();
        } catch (URISyntaxException e) {
            throw new IOException("bad resource URL " + config, e);
        }
        if (uri.getScheme().equals("jar")) {
            FileSystem fs;
            boolean opened = false;
            try {
                fs = FileSystems.newFileSystem(uri, Map.of());
                opened = true;
            } catch (FileSystemAlreadyExistsException e) {
                fs = FileSystems.getFileSystem(uri);
            }
            try {
                return extractFrom(name, fs.getPath("/" + ROOT + name), err);
            } finally {
                if (opened) {
                    fs.close();
                }
            }
        }
        return extractFrom(name, Path.of(uri).getParent(), err);
    }

    /**
     * Extracts the files of {@code source} as model {@code name}, or finds them extracted: the
     * folder is named by a hash of the files, and its files are checked against their SHA-256
     * digests each time; a copy that differs (a file damaged, missing or added) is replaced, and
     * {@code err} says so (package-private for tests).
     */
    static Path extractFrom(String name, Path source, PrintWriter err) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(source)) {
            files = s.filter(Files::isRegularFile).sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
        Map<String, String> digests = new TreeMap<>();
        for (Path f : files) {
            digests.put(f.getFileName().toString(), digest(f));
        }
        Path target = cacheRoot().resolve("models").resolve(name + "-" + folderHash(digests));
        if (Files.isDirectory(target)) {
            String damage = damage(target, digests);
            if (damage == null) {
                return target;
            }
            err.println("elattn: the cached copy of the embedded model " + name + " in " + target + " is damaged ("
                    + damage + "); extracting it again");
            err.flush();
            discard(target);
        }
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempDirectory(target.getParent(), ".extract-" + name + "-");
        try {
            for (Path f : files) {
                Files.copy(f, tmp.resolve(f.getFileName().toString()));
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                // another run extracted the same model first: use its folder
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the cache folder does not support atomic renames", e);
            }
        } finally {
            deleteTree(tmp);
        }
        return target;
    }

    /** How the extracted copy differs from the files' digests, or null when it does not. */
    private static String damage(Path copy, Map<String, String> digests) throws IOException {
        Set<String> present;
        try (Stream<Path> s = Files.list(copy)) {
            present = s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        for (Map.Entry<String, String> e : digests.entrySet()) {
            if (!present.remove(e.getKey())) {
                return e.getKey() + " is missing";
            }
            if (!digest(copy.resolve(e.getKey())).equals(e.getValue())) {
                return e.getKey() + " differs from the jar's (SHA-256)";
            }
        }
        return present.isEmpty() ? null : "it holds files the model has not: " + String.join(", ", present);
    }

    /** Moves a damaged copy out of the way (atomically, so no run sees it half deleted) and deletes it. */
    private static void discard(Path copy) throws IOException {
        Path trash = Files.createTempDirectory(copy.getParent(), ".damaged-");
        try {
            Files.move(copy, trash.resolve("copy"), StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.NoSuchFileException e) {
            // another run discarded it first
        } finally {
            deleteTree(trash);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String digest(Path file) throws IOException {
        MessageDigest sha = sha256();
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
            while (in.read(buffer) >= 0) {
                // the digest stream hashes what is read
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The folder's name part: 16 hex digits of a SHA-256 over the files' names and digests. */
    private static String folderHash(Map<String, String> digests) {
        MessageDigest sha = sha256();
        digests.forEach((file, digest) -> sha.update((file + "\0" + digest + "\n").getBytes(StandardCharsets.UTF_8)));
        return HexFormat.of().formatHex(sha.digest(), 0, 8);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }
}
