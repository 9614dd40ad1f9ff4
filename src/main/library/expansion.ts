/**
 * Query expansion from a caption model's word embeddings: the decoder's `W_embed` (V×W) puts
 * words used in similar visual contexts near each other, so the nearest rows to `puppy` are
 * words like `dog`. Similarity is cosine; special tokens and function words are never offered.
 */
import type { ModelRecord } from './model-registry.js';

export interface EmbeddingTable {
  /** V words, index = token id. */
  vocab: readonly string[];
  /** V×W, row-major. */
  vectors: Float32Array;
  dim: number;
}

const FUNCTION_WORDS = new Set(
  'a an the and or of in on at to for from with by is are was were be been being it its this that these those his her their there here into onto over under while as'.split(
    ' ',
  ),
);

export interface ExpansionOptions {
  /** Neighbours per word. */
  k?: number;
  /** Cosine similarity below this is not "similar". */
  minSimilarity?: number;
}

export class WordNeighbours {
  private readonly index = new Map<string, number>();
  private readonly unit: Float32Array;
  private readonly V: number;

  constructor(private readonly table: EmbeddingTable) {
    const { vocab, vectors, dim } = table;
    this.V = vocab.length;
    if (vectors.length !== this.V * dim) throw new Error(`embedding table is ${vectors.length} values, expected ${this.V}×${dim}`);
    this.unit = new Float32Array(vectors.length);
    for (let v = 0; v < this.V; v++) {
      let n = 0;
      for (let j = 0; j < dim; j++) n += vectors[v * dim + j] ** 2;
      const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
      for (let j = 0; j < dim; j++) this.unit[v * dim + j] = vectors[v * dim + j] * inv;
      const w = vocab[v];
      if (!this.index.has(w)) this.index.set(w, v);
    }
  }

  private offered(word: string): boolean {
    return /^[\p{L}\p{N}]+$/u.test(word) && !FUNCTION_WORDS.has(word) && !word.startsWith('<');
  }

  /** Row of `word`, trying its singular form too (vocabularies keep frequent forms only). */
  private lookup(word: string): number | undefined {
    const forms = [word, `${word}s`];
    if (word.endsWith('ies')) forms.push(`${word.slice(0, -3)}y`);
    if (word.endsWith('es')) forms.push(word.slice(0, -2));
    if (word.endsWith('s')) forms.push(word.slice(0, -1));
    for (const f of forms) {
      const row = this.index.get(f);
      if (row !== undefined) return row;
    }
    return undefined;
  }

  has(word: string): boolean {
    return this.lookup(word) !== undefined;
  }

  /** The k most similar vocabulary words, best first, excluding the word itself and its plural/singular. */
  similar(word: string, options: ExpansionOptions = {}): Array<{ word: string; similarity: number }> {
    const k = options.k ?? 3;
    const min = options.minSimilarity ?? 0.3;
    const w = word.toLowerCase();
    if (!this.offered(w)) return [];
    const row = this.lookup(w);
    if (row === undefined) return [];
    const { dim, vocab } = this.table;
    const q = this.unit.subarray(row * dim, row * dim + dim);
    const best: Array<{ word: string; similarity: number }> = [];
    for (let v = 0; v < this.V; v++) {
      if (v === row) continue;
      const cand = vocab[v];
      if (cand === w || cand === `${w}s` || `${cand}s` === w || !this.offered(cand)) continue;
      let s = 0;
      const off = v * dim;
      for (let j = 0; j < dim; j++) s += q[j] * this.unit[off + j];
      if (s < min) continue;
      if (best.length < k || s > best[best.length - 1].similarity) {
        best.push({ word: cand, similarity: s });
        best.sort((a, b) => b.similarity - a.similarity);
        if (best.length > k) best.pop();
      }
    }
    return best;
  }
}

export type EmbeddingLoader = (model: ModelRecord) => Promise<EmbeddingTable | null>;

/** The decoder's W_embed, imported lazily so opening a library does not load onnxruntime. */
async function decoderEmbeddings(model: ModelRecord): Promise<EmbeddingTable | null> {
  const { loadWordEmbeddings } = await import('../../inference/caption-pipeline.js');
  return loadWordEmbeddings(model.path);
}

/**
 * The word neighbours of the active model. Loading starts on first use and finishes in the
 * background; searches before then run without expansion (a search never waits for it).
 */
export class ActiveModelNeighbours {
  private current: { modelId: string; value: Promise<WordNeighbours | null>; ready: WordNeighbours | null } | null = null;

  constructor(
    private readonly load: EmbeddingLoader = decoderEmbeddings,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  /** The neighbours of `model` if loaded by now, else null (and loading starts). */
  now(model: ModelRecord | null): WordNeighbours | null {
    if (!model) return null;
    if (!this.current || this.current.modelId !== model.id) {
      const value = this.load(model)
        .then((t) => (t ? new WordNeighbours(t) : null))
        .catch((err) => {
          this.warn(`query expansion off: ${(err as Error).message}`);
          return null;
        });
      const entry = { modelId: model.id, value, ready: null as WordNeighbours | null };
      void value.then((v) => (entry.ready = v));
      this.current = entry;
    }
    return this.current.ready;
  }

  /** Resolves once the neighbours of `model` are loaded (true) or known unavailable (false). */
  async ready(model: ModelRecord | null): Promise<boolean> {
    this.now(model);
    return !!(await this.current?.value);
  }
}
