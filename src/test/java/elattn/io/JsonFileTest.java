package elattn.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading JSON files: each way a file can be wrong is one line naming the file, without Gson's wording. */
class JsonFileTest {
    @TempDir
    Path dir;

    private String failure(String content) throws IOException {
        Path f = Files.writeString(dir.resolve("f.json"), content);
        return assertThrows(IllegalStateException.class,
                () -> JsonFile.readObject(f, (file, problem) -> new IllegalStateException(file + ": " + problem))).getMessage();
    }

    @Test
    void eachProblemIsOneLine() throws IOException {
        String f = dir.resolve("f.json").toString();
        assertEquals(f + ": not valid JSON (Expected ':' at line 1 column 7 path $.a); repair or re-download the file",
                failure("{\"a\" 1}"));
        assertEquals(f + ": not valid JSON (unexpected end at line 1 column 6 path $.a); repair or re-download the file",
                failure("{\"a\":"));
        assertEquals(f + ": not valid JSON (unexpected text at line 1 column 5 path $); repair or re-download the file",
                failure("{} x"));
        assertEquals(f + ": holds [1,2] where a JSON object belongs; repair or re-download the file", failure("[1,2]"));
        assertEquals(f + ": is empty where a JSON object belongs; repair or re-download the file", failure(""));
        String deep = failure("[".repeat(300));
        assertTrue(deep.startsWith(f + ": not valid JSON (Nesting limit 255 reached at line 1 column 257 path $[0][0][0]"), deep);
        assertTrue(deep.endsWith("...); repair or re-download the file") && deep.length() < f.length() + 200, deep);
        Files.write(dir.resolve("f.json"), new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'});
        assertEquals(f + ": is not UTF-8 text (a damaged or binary file); repair or re-download the file",
                assertThrows(IllegalStateException.class, () -> JsonFile.readObject(dir.resolve("f.json"),
                        (file, problem) -> new IllegalStateException(file + ": " + problem))).getMessage());
    }

    @Test
    void missingFileAndFolder() throws IOException {
        FileProblem p = (file, problem) -> new IllegalStateException(file + ": " + problem);
        assertEquals(dir.resolve("none.json") + ": file not found",
                assertThrows(IllegalStateException.class, () -> JsonFile.readObject(dir.resolve("none.json"), p)).getMessage());
        Files.createDirectory(dir.resolve("sub.json"));
        assertEquals(dir.resolve("sub.json") + ": is a folder where a file belongs; put the file itself there",
                assertThrows(IllegalStateException.class, () -> JsonFile.readObject(dir.resolve("sub.json"), p)).getMessage());
    }
}
