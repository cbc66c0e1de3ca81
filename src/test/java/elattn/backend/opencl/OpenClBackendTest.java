package elattn.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.runtime.Backend;
import elattn.runtime.Device;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class OpenClBackendTest {
    @Test
    void listsDevicesWithStableIdsAndProperties() {
        List<Device> devices = OpenClTestDevices.all();
        for (int i = 0; i < devices.size(); i++) {
            Device d = devices.get(i);
            assertEquals("opencl:" + i, d.id());
            assertEquals("opencl", d.backendName());
            assertFalse(d.name().isBlank());
            assertTrue(d.globalMemoryBytes() > 0, d + " reports no memory");
            assertTrue(d.computeUnits() > 0, d + " reports no compute units");
            if (d.toString().contains("Portable Computing Language")) {
                assertFalse(d.isGpu(), "PoCL's device is a CPU");
            }
        }
        List<String> again = new OpenClBackend().devices().stream().map(d -> d.id() + d.name()).toList();
        assertEquals(devices.stream().map(d -> d.id() + d.name()).toList(), again, "device order must be stable");
        assertTrue(new OpenClBackend().unavailableReason().isEmpty());
    }

    @Test
    void isFoundByServiceLoader() {
        assertTrue(ServiceLoader.load(Backend.class).stream()
                .anyMatch(p -> p.type() == OpenClBackend.class), "OpenClBackend is not registered");
    }

    @Test
    void missingLibraryMeansNoDevicesAndAReason() {
        Backend backend = new OpenClBackend("libOpenCL-does-not-exist.so.9");
        assertEquals("opencl", backend.name());
        assertTrue(backend.devices().isEmpty());
        String reason = backend.unavailableReason().orElseThrow();
        assertTrue(reason.contains("libOpenCL-does-not-exist.so.9"), reason);
        assertTrue(reason.contains("install"), reason);
    }

    @Test
    void libraryNameComesFromSystemProperty() {
        String old = System.getProperty(OpenClBackend.LIBRARY_PROPERTY);
        System.setProperty(OpenClBackend.LIBRARY_PROPERTY, "/nonexistent/libOpenCL.so.1");
        try {
            Backend backend = new OpenClBackend();
            assertTrue(backend.devices().isEmpty());
            assertTrue(backend.unavailableReason().orElseThrow().contains("/nonexistent/libOpenCL.so.1"));
        } finally {
            if (old == null) {
                System.clearProperty(OpenClBackend.LIBRARY_PROPERTY);
            } else {
                System.setProperty(OpenClBackend.LIBRARY_PROPERTY, old);
            }
        }
    }
}
