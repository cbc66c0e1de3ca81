package elattn.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import elattn.runtime.Backend;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** Without the CUDA driver or NVRTC the backend lists no devices and says why; it never throws. */
class CudaBackendUnavailableTest {
    @Test
    void theBackendIsFoundThroughServiceLoader() {
        assertTrue(ServiceLoader.load(Backend.class).stream()
                .anyMatch(p -> p.type() == CudaBackend.class));
        assertEquals("cuda", new CudaBackend().name());
    }

    @Test
    void aMissingDriverLibraryGivesNoDevicesAndAReason() {
        String reason = reasonWith("elattn.cuda.library", "/nonexistent/libcuda.so.1");
        assertTrue(reason.contains("/nonexistent/libcuda.so.1") && reason.contains("-Delattn.cuda.library"), reason);
    }

    @Test
    void aMissingNvrtcGivesNoDevicesAndAReason() {
        // On a machine without libcuda this reports the driver; with one, NVRTC is what is missing.
        String reason = reasonWith("elattn.nvrtc.library", "/nonexistent/libnvrtc.so.13");
        assertTrue(reason.contains("/nonexistent/libnvrtc.so.13") || reason.contains("libcuda.so.1"), reason);
    }

    private static String reasonWith(String property, String value) {
        String before = System.getProperty(property);
        System.setProperty(property, value);
        try {
            CudaBackend backend = new CudaBackend();
            assertTrue(backend.devices().isEmpty());
            return backend.unavailableReason().orElseThrow();
        } finally {
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        }
    }
}
