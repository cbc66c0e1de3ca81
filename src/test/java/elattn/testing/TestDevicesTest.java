package elattn.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.runtime.Devices;
import elattn.testing.TestDevices.TestDevice;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The harness resolves ids and backend names, and skips (or in CI fails) what is missing. */
class TestDevicesTest {
    private final String saved = System.getProperty(TestDevices.PROPERTY);

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(TestDevices.PROPERTY);
        } else {
            System.setProperty(TestDevices.PROPERTY, saved);
        }
    }

    @Test
    void idsAndBackendNames() {
        System.setProperty(TestDevices.PROPERTY, "jvm, vulkan ,opencl:99");
        List<TestDevice> devices = TestDevices.devices().toList();
        assertEquals(3, devices.size(), devices.toString());
        assertEquals(Devices.byId("jvm"), devices.get(0).get());
        assertEquals("vulkan", devices.get(1).label());
        assertTrue(devices.get(1).missingReason().contains("no backend named vulkan"), devices.get(1).missingReason());
        assertEquals("opencl:99", devices.get(2).label());
    }

    @Test
    void missingDeviceSkipsOrFailsInCi() {
        TestDevice missing = new TestDevice("cuda", null, "no driver");
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        Class<? extends Throwable> expected = ci ? AssertionFailedError.class : TestAbortedException.class;
        Throwable t = assertThrows(expected, missing::get);
        assertTrue(t.getMessage().contains("cuda was requested by -Delattn.test.devices but is not available: no driver"),
                t.getMessage());
    }
}
