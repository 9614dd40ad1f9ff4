/**
 * Query expansion: the concept map's synonyms and hypernyms (concept-expansion.ts) first, and for
 * words it does not know, a caption model's word embeddings: the decoder's `W_embed` (V×W) puts
 * words used in similar visual contexts near each other. Similarity is cosine with a high floor
 * (EMBEDDING_FLOOR); special tokens and function words are never offered. Words the user taught
 * the active model (teach.json's new words, along the chain of models it was taught from) are
 * never expanded: their nearest rows are the words they replaced (a dog's name sits next to "boy").
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConceptExpansion } from './concept-expansion.js';
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

/**
 * Cosine below this is not "similar". Measured on the default model's W_embed: at 0.5 dog → boy,
 * child, sneakers and snow → grass, graffiti; at 0.6 red → orange, yellow, blue; from 0.7 up the
 * neighbours are the word's own forms and near synonyms (sitting → sits, playing → plays).
 */
export const EMBEDDING_FLOOR = 0.7;

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
    const min = options.minSimilarity ?? EMBEDDING_FLOOR;
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

/** What one query word expands to, and from where. */
export interface WordExpansion {
  term: string;
  similar: string[];
  /** The concept map's synonyms/hypernyms, or the model's word embeddings. */
  source: 'concepts' | 'embeddings';
}

const CONCEPTS = new ConceptExpansion();

/** The expansion rules over one model's embeddings and taught words. */
export class QueryExpander {
  constructor(
    private readonly neighbours: WordNeighbours | null,
    private readonly taught: ReadonlySet<string>,
  ) {}

  /** Whether the user taught this word (or its singular/plural). */
  isTaught(word: string): boolean {
    const w = word.toLowerCase();
    return this.taught.has(w) || this.taught.has(`${w}s`) || (w.endsWith('s') && this.taught.has(w.slice(0, -1)));
  }

  expand(word: string): WordExpansion | null {
    if (this.isTaught(word)) return null;
    if (CONCEPTS.knows(word)) {
      const similar = CONCEPTS.expand(word).filter((w) => !this.isTaught(w));
      return similar.length ? { term: word, similar, source: 'concepts' } : null;
    }
    const similar = (this.neighbours?.similar(word) ?? []).map((n) => n.word).filter((w) => !this.isTaught(w));
    return similar.length ? { term: word, similar, source: 'embeddings' } : null;
  }
}

/** How far back a chain of taught models is followed (a loop of base dirs must end). */
const MAX_TEACH_CHAIN = 32;

/** The new words of a taught model and of every taught model it was taught from (teach.json). */
export function taughtWords(modelDir: string): Set<string> {
  const words = new Set<string>();
  const seen = new Set<string>();
  for (let dir: string | undefined = modelDir; dir && !seen.has(dir) && seen.size < MAX_TEACH_CHAIN;) {
    seen.add(dir);
    const file = join(dir, 'teach.json');
    if (!existsSync(file)) break;
    let record: { newWords?: Array<{ word?: unknown }>; base?: { dir?: unknown } };
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as typeof record;
    } catch {
      break; // an unreadable teach.json teaches no words; the model still captions
    }
    for (const w of record.newWords ?? []) if (typeof w?.word === 'string') words.add(w.word.toLowerCase());
    const base = record.base?.dir;
    dir = typeof base === 'string' ? (isAbsolute(base) ? base : resolve(dir, base)) : undefined;
  }
  return words;
}

/**
 * The query expansion of the active model. Embeddings load in the background from the first use
 * (the library starts it on open); the API's search waits for them (Library.searchWhenReady), so
 * the first search gives the same answer as later ones.
 */
export class ActiveModelNeighbours {
  private current: { modelId: string; value: Promise<WordNeighbours | null>; ready: QueryExpander; taught: Set<string> } | null = null;

  constructor(
    private readonly load: EmbeddingLoader = decoderEmbeddings,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  /** The expansion of `model` as loaded by now (taught words always; embeddings once loaded), and loading starts. */
  now(model: ModelRecord | null): QueryExpander {
    if (!model) return new QueryExpander(null, new Set());
    if (!this.current || this.current.modelId !== model.id) {
      const value = this.load(model)
        .then((t) => (t ? new WordNeighbours(t) : null))
        .catch((err) => {
          this.warn(`query expansion off: ${(err as Error).message}`);
          return null;
        });
      const taught = taughtWords(model.path);
      const entry = { modelId: model.id, value, ready: new QueryExpander(null, taught), taught };
      void value.then((v) => (entry.ready = new QueryExpander(v, taught)));
      this.current = entry;
    }
    return this.current.ready;
  }

  /** Resolves once the neighbours of `model` are loaded (true) or known unavailable (false). */
  async ready(model: ModelRecord | null): Promise<boolean> {
    this.now(model);
    const ok = !!(await this.current?.value);
    // The .then that swaps in the loaded expander ran before this one: it was registered first.
    return ok;
  }
}
