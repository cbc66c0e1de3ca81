package elattn.text;

import java.util.Arrays;

/**
 * The merges table: a map from a pair of token ids to a long, open-addressed over primitive
 * arrays. BPE looks a pair up for every adjacent symbol pair of every new word, and a boxed
 * {@code HashMap<Long, Long>} spends most of that time hashing and chasing (a pair's
 * {@code Long.hashCode} is {@code a ^ b}, which collides badly).
 */
final class PairMap {
    private static final long EMPTY = -1L;
    private final long[] keys;
    private final long[] values;
    private final int mask;

    PairMap(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        int i = (int) (h ^ (h >>> 29)) & mask;
        while (keys[i] != EMPTY && keys[i] != key) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /** Sets the value of (a, b); ids are never negative, so no key equals the empty marker. */
    void put(int a, int b, long value) {
        long k = key(a, b);
        int i = slot(k);
        keys[i] = k;
        values[i] = value;
    }

    /** The value of (a, b), or -1 if the pair has none. */
    long get(int a, int b) {
        long k = key(a, b);
        int i = slot(k);
        return keys[i] == EMPTY ? -1 : values[i];
    }
}
