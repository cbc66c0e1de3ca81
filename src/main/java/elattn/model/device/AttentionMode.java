package elattn.model.device;

/**
 * How a {@link DeviceModel}'s decoder attends; both give the same outputs up to fp32 rounding and
 * differ in what they cache (docs/models.md, "EL-attention").
 */
public enum AttentionMode {
    /**
     * Standard multi-head attention, as HF transformers runs it: projected keys and values cached
     * per layer, beam and head; the encoder output expanded to one copy per beam.
     */
    MHA,
    /**
     * EL-attention (the default): only the states the key and value projections read are kept (the
     * encoder output once per sentence; each layer's input states for self-attention), and the
     * query is expanded through the key weights instead.
     */
    EL
}
