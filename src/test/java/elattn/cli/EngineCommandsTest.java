package elattn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.testing.TestDevices.TestDevice;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The engine's commands end to end: {@code elattn devices} and {@code elattn check}. */
class EngineCommandsTest {
    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void devicesListsTheJvmAndMarksTheDefault() {
        Run r = run("devices");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.contains(" jvm ")), r.out());
        assertEquals(1, r.out().lines().filter(l -> l.startsWith("*")).count(), r.out());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("elattn.testing.TestDevices#devices")
    void checkRunsKernelsOnTheDevice(TestDevice device) {
        Run r = run("check", "--device", device.get().id());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("ok: " + device.get().id() + " works"), r.out());
    }

    @Test
    void unknownDeviceIsOneClearLineAndExitCodeOne() {
        Run r = run("check", "--device", "cuda:7");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("elattn: no device 'cuda:7'; available devices: "), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertFalse(r.err().contains("at elattn."), "no stack trace by default: " + r.err());
    }
}
