package elattn.text;

import elattn.io.OneLine;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;

/**
 * The BPE model: a vocabulary and ranked merges, applied to one pre-tokenized word at a time as HF
 * tokenizers does. The word starts as its characters; the adjacent pair with the lowest merge rank
 * (the leftmost among equals) is merged, repeatedly, until no pair has a merge. A priority queue
 * keeps this n log n, so that a pathological 100,000-character word does not stall. Results are
 * cached per word (bounded, like HF's cache); the model is immutable and safe to share between
 * threads.
 */
final class Bpe {
    /** Words longer than this are not cached (they are rare and would fill the cache with one-offs). */
    private static final int CACHE_MAX_WORD = 256;
    private static final int CACHE_CAPACITY = 100_000;

    private final Map<String, Integer> vocab;
    /** Merge of the pair (left id, right id): rank in the high half, merged id in the low half. */
    private final PairMap merges;
    private final Integer unkId;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param vocab        token to id
     * @param merges       merges in rank order, each a pair of tokens whose concatenation is in the vocabulary
     * @param unkToken     token for characters outside the vocabulary, or null to drop them (as HF does)
     * @param fuseUnk      whether consecutive unknown characters give one unknown token
     * @param ignoreMerges whether a word found whole in the vocabulary is taken as it is (HF's {@code ignore_merges})
     */
    Bpe(Map<String, Integer> vocab, java.util.List<String[]> merges, String unkToken, boolean fuseUnk, boolean ignoreMerges) {
        this.vocab = Map.copyOf(vocab);
        this.merges = new PairMap(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] m = merges.get(rank);
            Integer a = vocab.get(m[0]);
            Integer b = vocab.get(m[1]);
            Integer ab = vocab.get(m[0] + m[1]);
            if (a == null || b == null || ab == null) {
                String missing = a == null ? m[0] : b == null ? m[1] : m[0] + m[1];
                throw new IllegalArgumentException("merge " + (rank + 1) + " '" + OneLine.brief(m[0] + " " + m[1])
                        + "' uses '" + OneLine.brief(missing) + "', which is not in the vocabulary");
            }
            this.merges.put(a, b, ((long) rank << 32) | ab);
        }
        if (unkToken != null && !vocab.containsKey(unkToken)) {
            throw new IllegalArgumentException("unknown token '" + OneLine.brief(unkToken) + "' is not in the vocabulary");
        }
        this.unkId = unkToken == null ? null : vocab.get(unkToken);
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
    }

    Map<String, Integer> vocab() {
        return vocab;
    }

    /** Sends the ids of {@code word} (in the byte-level alphabet) to {@code out}. */
    void encodeWord(String word, IntConsumer out) {
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = merge(word);
            if (word.length() <= CACHE_MAX_WORD && cache.size() < CACHE_CAPACITY) {
                cache.putIfAbsent(word, ids);
            }
        }
        for (int id : ids) {
            out.accept(id);
        }
    }

    private int[] merge(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                return new int[] {whole};
            }
        }
        int n = word.codePointCount(0, word.length());
        int[] id = new int[n];
        int count = 0;
        boolean lastUnk = false;
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int len = Character.charCount(cp);
            Integer v = vocab.get(word.substring(i, i + len));
            i += len;
            if (v != null) {
                id[count++] = v;
                lastUnk = false;
            } else if (unkId != null) {
                if (!(fuseUnk && lastUnk)) {
                    id[count++] = unkId;
                }
                lastUnk = true;
            }
        }
        n = count;
        if (n < 2) {
            return Arrays.copyOf(id, n);
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        // Heap entries: rank in the high half, position of the left symbol in the low half, so the
        // smallest entry is the lowest rank and, among equal ranks, the leftmost pair.
        LongHeap queue = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            long m = merges.get(id[i], id[i + 1]);
            if (m >= 0) {
                queue.add((m >>> 32) << 32 | i);
            }
        }
        boolean[] gone = new boolean[n];
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            int right = next[pos];
            if (gone[pos] || right < 0) {
                continue;
            }
            long m = merges.get(id[pos], id[right]);
            if (m < 0 || (int) (m >>> 32) != rank) {
                continue;
            }
            id[pos] = (int) m;
            gone[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) {
                prev[next[pos]] = pos;
                long after = merges.get(id[pos], id[next[pos]]);
                if (after >= 0) {
                    queue.add((after >>> 32) << 32 | pos);
                }
            }
            if (prev[pos] >= 0) {
                long before = merges.get(id[prev[pos]], id[pos]);
                if (before >= 0) {
                    queue.add((before >>> 32) << 32 | prev[pos]);
                }
            }
        }
        int[] out = new int[n];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            out[k++] = id[i];
        }
        return Arrays.copyOf(out, k);
    }

    /** A binary min-heap of longs, without boxing. */
    private static final class LongHeap {
        private long[] a;
        private int n;

        LongHeap(int capacity) {
            a = new long[Math.max(capacity, 4)];
        }

        boolean isEmpty() {
            return n == 0;
        }

        void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            int i = n++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (a[parent] <= v) {
                    break;
                }
                a[i] = a[parent];
                i = parent;
            }
            a[i] = v;
        }

        long poll() {
            long top = a[0];
            long v = a[--n];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) {
                    break;
                }
                if (c + 1 < n && a[c + 1] < a[c]) {
                    c++;
                }
                if (v <= a[c]) {
                    break;
                }
                a[i] = a[c];
                i = c;
            }
            a[i] = v;
            return top;
        }
    }
}
