package elattn.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
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

    @Test
    void missingBackendsSayWhy() {
        assertTrue(Devices.unavailableReason("vulkan").orElseThrow().contains("no backend named vulkan"));
        assertTrue(Devices.ofBackend("vulkan").isEmpty());
    }
}
