package elattn.model.device;

/**
 * Device memory a batch holds as attention state for the decoder, in bytes, as allocated for the
 * whole generation: what EL-attention saves. Scratch buffers of one step and weights are not
 * counted.
 *
 * @param cross the cross-attention state: MHA's keys and values of every decoder layer and beam,
 *              or EL's one encoder output per sentence (0 for decoder-only models)
 * @param self  the decoder self-attention history: MHA's keys and values, or EL's layer inputs
 */
public record CacheBytes(long cross, long self) {
    public long total() {
        return cross + self;
    }
}
