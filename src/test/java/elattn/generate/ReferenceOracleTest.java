package elattn.generate;

import elattn.model.Checkpoint;
import elattn.model.ModelConfig;
import elattn.model.ModelWeights;
import elattn.model.Precision;
import elattn.model.ReferenceModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Every generation case of the HF oracle, for every family, with {@link ReferenceModel} (plain-Java
 * double-precision standard attention): HF's exact sequences and scores within 1e-4.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReferenceOracleTest {
    private final Map<String, Checkpoint> checkpoints = new HashMap<>();
    private final Map<String, ReferenceModel> models = new HashMap<>();

    @BeforeAll
    void load() {
        for (String family : OracleCases.FAMILIES) {
            Checkpoint c = Checkpoint.open(OracleCases.checkpoint(family));
            ModelConfig config = ModelConfig.of(c);
            checkpoints.put(family, c);
            models.put(family, new ReferenceModel(config, ModelWeights.load(c, config, Precision.FP32)));
        }
    }

    @AfterAll
    void close() {
        checkpoints.values().forEach(Checkpoint::close);
    }

    @TestFactory
    Stream<DynamicTest> oracle() {
        return OracleCases.FAMILIES.stream()
                .flatMap(family -> OracleCases.tests(family, () -> models.get(family)).stream());
    }
}
