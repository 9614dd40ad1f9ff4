import { END, START, type RecurrentState, type StepModel } from '../../src/model/types.js';

/**
 * A test fixture for the search algorithms: a real StepModel whose next-word distribution is
 * a hand-set table keyed by the words so far. Listed tokens get the listed probability; the
 * rest of the mass is spread evenly over the unlisted tokens. The state holds the prefix id.
 */
export class TableModel implements StepModel {
  private readonly prefixes: number[][] = [[]];
  private readonly ids = new Map<string, number>([['', 0]]);
  calls: number[] = [];
  /** Set to pose as a decoder with concept input (the table ignores the scores). */
  conceptDim?: number;
  constructor(
    readonly vocabSize: number,
    private readonly table: Record<string, Record<number, number>>,
    private readonly fallback: Record<number, number> = { [END]: 0.5 },
  ) {}
  initState(_features: Float32Array, n: number): RecurrentState {
    return { n, h: [new Float32Array(n)], c: [new Float32Array(n)] };
  }
  step(state: RecurrentState, tokens: Int32Array): Float32Array {
    this.calls.push(state.n);
    const V = this.vocabSize;
    const out = new Float32Array(state.n * V);
    for (let r = 0; r < state.n; r++) {
      const prefix = [...this.prefixes[state.h[0]![r]!]!];
      if (tokens[r] !== START) prefix.push(tokens[r]!);
      const key = prefix.join(',');
      let id = this.ids.get(key);
      if (id === undefined) {
        id = this.prefixes.length;
        this.prefixes.push(prefix);
        this.ids.set(key, id);
      }
      state.h[0]![r] = id;
      const listed = this.table[key] ?? this.fallback;
      const mass = Object.values(listed).reduce((a, b) => a + b, 0);
      const rest = (1 - mass) / (V - Object.keys(listed).length);
      for (let w = 0; w < V; w++) out[r * V + w] = Math.log(listed[w] ?? rest);
    }
    return out;
  }
  selectRows(state: RecurrentState, rows: Int32Array): RecurrentState {
    return { n: rows.length, h: [Float32Array.from(rows, (r) => state.h[0]![r]!)], c: [new Float32Array(rows.length)] };
  }
}
