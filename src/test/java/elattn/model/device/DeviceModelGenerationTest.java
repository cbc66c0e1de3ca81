package elattn.model.device;

import elattn.generate.OracleCases;
import elattn.testing.TestDevices;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * Every HF generation case of every family on every test device ({@link OracleCases}: HF's
 * sequences token for token, its sequence scores within 1e-4), with EL and MHA run side by side
 * ({@link TwinModel}) so that every step also checks that both modes give the same logits within
 * 1e-4 and the same candidates.
 */
class DeviceModelGenerationTest {
    @TestFactory
    Stream<DynamicNode> oracleCases() {
        // One pair of models per family and device, kept across cases so each batch shape builds its plan once.
        return TestDevices.devices().map(device -> DynamicContainer.dynamicContainer(device.toString(),
                OracleCases.FAMILIES.stream().map(family -> OracleModels.twinCases(family, OracleCases.cases(family),
                        (mode, beams) -> OracleModels.model(family, device.get(), mode, beams), "on " + device))));
    }
}
