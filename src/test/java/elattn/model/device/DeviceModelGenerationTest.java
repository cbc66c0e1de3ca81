package elattn.model.device;

import elattn.generate.OracleCases;
import elattn.testing.TestDevices;
import elattn.testing.TestDevices.TestDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
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
        return TestDevices.devices().map(device -> DynamicContainer.dynamicContainer(device.toString(),
                OracleCases.FAMILIES.stream().map(family -> familyCases(device, family))));
    }

    private static DynamicNode familyCases(TestDevice device, String family) {
        List<OracleCases.Case> cases = OracleCases.cases(family);
        int beams = cases.stream().mapToInt(c -> OracleCases.config(c).numBeams()).max().orElse(1);
        // One pair of models per family and device, kept across cases so each batch shape builds its plan once.
        DeviceModel[] models = new DeviceModel[2];
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            OracleCases.Case c = cases.get(i);
            boolean lastCase = i == cases.size() - 1;
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                try {
                    if (models[0] == null) {
                        models[0] = OracleModels.model(family, device.get(), AttentionMode.EL, beams)
                                .retainDeviceMemory(true);
                        models[1] = OracleModels.model(family, device.get(), AttentionMode.MHA, beams)
                                .retainDeviceMemory(true);
                    }
                    OracleCases.check(c, new TwinModel(models[0], models[1], c + " on " + device));
                } finally {
                    if (lastCase && models[0] != null) {
                        models[0].release();
                        models[1].release();
                    }
                }
            }));
        }
        return DynamicContainer.dynamicContainer(family, tests);
    }
}
