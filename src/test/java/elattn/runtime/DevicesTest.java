package elattn.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Device discovery and the choice of the default device. */
class DevicesTest {
    @Test
    void theJvmIsAlwaysThere() {
        Device jvm = Devices.byId("jvm");
        assertEquals("jvm", jvm.backendName());
        assertFalse(jvm.isGpu());
        assertEquals(Runtime.getRuntime().availableProcessors(), jvm.computeUnits());
        assertTrue(jvm.globalMemoryBytes() > 0);
        assertTrue(Devices.all().contains(jvm));
        assertEquals(java.util.List.of(jvm), Devices.ofBackend("jvm"));
        assertTrue(Devices.unavailableReason("jvm").isEmpty());
    }

    @Test
    void defaultIsTheBestGpuElseTheJvm() {
        Device chosen = Devices.defaultDevice();
        assertSame(chosen, Devices.defaultDevice());
        if (Devices.all().stream().anyMatch(Device::isGpu)) {
            assertTrue(chosen.isGpu(), chosen.id());
            boolean cudaThere = !Devices.ofBackend("cuda").isEmpty();
            assertEquals(cudaThere ? "cuda" : "opencl", chosen.backendName());
        } else {
            assertEquals("jvm", chosen.id());
        }
    }

    /** {@code --device opencl} means the first OpenCL device; with no device of that backend it stays an error. */
    @Test
    void aBackendNameIsItsFirstDevice() {
        for (String backend : Devices.backendNames()) {
            if (Devices.ofBackend(backend).isEmpty()) {
                assertThrows(ElattnRuntimeException.class, () -> Devices.byId(backend));
            } else {
                assertSame(Devices.ofBackend(backend).getFirst(), Devices.byId(backend), backend);
            }
        }
        assertThrows(ElattnRuntimeException.class, () -> Devices.byId("vulkan"));
    }

    @Test
    void missingBackendsSayWhy() {
        assertTrue(Devices.unavailableReason("vulkan").orElseThrow().contains("no backend named vulkan"));
        assertTrue(Devices.ofBackend("vulkan").isEmpty());
    }
}
