import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/model/rng.js';
import { decodeSafetensors, encodeSafetensors, ModelFileError, readSafetensors } from '../../src/model/safetensors.js';

const tmp = mkdtempSync(join(tmpdir(), 'lenscribe-st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function random(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Tensors with awkward values: -0, subnormals, extremes, infinities. */
function sample() {
  const special = new Float32Array([0, -0, 1e-45, -1.4e-45, 3.4028234663852886e38, -Infinity, Infinity, 1 / 3]);
  return {
    W_embed: { shape: [7, 5], data: random(35, 1) },
    b_vocab: { shape: [7], data: random(7, 2) },
    special: { shape: [2, 4], data: special },
    scalar: { shape: [], data: new Float32Array([42.5]) },
    empty: { shape: [0, 3], data: new Float32Array(0) },
    double: { shape: [3], data: new Float64Array([Math.PI, -1e-300, 2 ** 60 + 1]) },
  };
}

function bits(a: Float32Array | Float64Array): number[] {
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** A safetensors header entry, or the free-form `__metadata__` record. */
type HeaderEntry = { dtype?: string; shape?: number[]; data_offsets?: number[] } & Record<string, unknown>;

function headerOf(bytes: Uint8Array): { len: number; json: Record<string, HeaderEntry> } {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { len, json: JSON.parse(Buffer.from(bytes.subarray(8, 8 + len)).toString('utf8')) };
}

/** A file built by hand: header object + raw data bytes. */
function craft(header: object, data: Uint8Array, pad = true): Uint8Array {
  let json = Buffer.from(JSON.stringify(header));
  if (pad && (8 + json.length) % 8) json = Buffer.concat([json, Buffer.alloc(8 - ((8 + json.length) % 8), 0x20)]);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips tensors and metadata bit-exactly, sorted by name, data 8-byte aligned', () => {
    const t = sample();
    const bytes = encodeSafetensors(t, { format: 'lenscribe-decoder', note: 'ünïcode ✓' });
    const { len, json } = headerOf(bytes);
    expect((8 + len) % 8).toBe(0);
    expect(Object.keys(json).filter((k) => k !== '__metadata__')).toEqual(['W_embed', 'b_vocab', 'double', 'empty', 'scalar', 'special']);
    expect(json.W_embed).toEqual({ dtype: 'F32', shape: [7, 5], data_offsets: [0, 140] });
    expect(json.double.dtype).toBe('F64');
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'lenscribe-decoder', note: 'ünïcode ✓' });
    for (const [name, { shape, data }] of Object.entries(t)) {
      const got = back.tensors.get(name)!;
      expect(got.shape).toEqual(shape);
      expect(got.data.constructor).toBe(data.constructor);
      expect(bits(got.data)).toEqual(bits(data));
    }
    // Encoding what was decoded gives the same bytes.
    const again = Object.fromEntries([...back.tensors].map(([k, v]) => [k, { shape: v.shape, data: v.data }]));
    expect(Buffer.from(encodeSafetensors(again, back.metadata)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('refuses to encode data that does not fit its shape', () => {
    expect(() => encodeSafetensors({ x: { shape: [2, 3], data: new Float32Array(5) } })).toThrow(
      /x: shape \[2, 3\] needs 6 values, data has 5/,
    );
  });

  it('reads the unpadded, differently ordered files other writers produce', () => {
    const a = new Float32Array([1, 2, 3]);
    const b = new Float32Array([4, 5]);
    const data = new Uint8Array(20);
    data.set(new Uint8Array(b.buffer), 0);
    data.set(new Uint8Array(a.buffer), 8);
    const file = craft(
      { a: { dtype: 'F32', shape: [3], data_offsets: [8, 20] }, b: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] } },
      data,
      false,
    );
    const { tensors, metadata } = decodeSafetensors(file);
    expect(metadata).toEqual({});
    expect(Array.from(tensors.get('a')!.data)).toEqual([1, 2, 3]);
    expect(Array.from(tensors.get('b')!.data)).toEqual([4, 5]);
    expect([...tensors.keys()]).toEqual(['b', 'a']);
  });

  describe('gives a specific error naming the file', () => {
    const good = encodeSafetensors({
      a: { shape: [4], data: new Float32Array([1, 2, 3, 4]) },
      b: { shape: [2], data: new Float32Array([5, 6]) },
    });
    const { len } = headerOf(good);
    const file = (name: string, bytes: Uint8Array) => {
      const p = join(tmp, name);
      writeFileSync(p, bytes);
      return p;
    };
    const expectError = (name: string, bytes: Uint8Array, pattern: RegExp) => {
      const p = file(name, bytes);
      let err: unknown;
      try {
        readSafetensors(p);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ModelFileError);
      expect((err as ModelFileError).file).toBe(p);
      expect((err as Error).message.startsWith(`${p}: `)).toBe(true);
      expect((err as Error).message).toMatch(pattern);
    };

    it('empty file', () => expectError('empty.safetensors', new Uint8Array(0), /too short/));
    it('file not found', () => expect(() => readSafetensors(join(tmp, 'nope.safetensors'))).toThrow(/nope\.safetensors: file not found/));
    it('truncated in the data', () =>
      expectError(
        'trunc-data.safetensors',
        good.subarray(0, good.length - 3),
        /tensor b: data_offsets \[16, 24\] point past the end of the data \(21 bytes\); file truncated/,
      ));
    it('truncated in the header', () =>
      expectError('trunc-header.safetensors', good.subarray(0, 20), /truncated: header says \d+ header bytes but the file has only 12/));
    it('truncated in the length field', () => expectError('trunc-len.safetensors', good.subarray(0, 5), /truncated: 5 bytes, too short/));
    it('implausible header length (not a safetensors file)', () =>
      expectError('png.safetensors', Buffer.from('\x89PNG\r\n\x1a\n-some-image-data'), /header length \d+ is implausible/));
    it('header that is not JSON', () => {
      const bad = good.slice();
      bad[8 + 5] = 0x7b; // a '{' inside a key breaks the JSON
      bad[8 + 6] = 0x3a;
      expectError('badjson.safetensors', bad, /header is not valid JSON/);
    });
    it('header pointing out of range', () => {
      const f = craft(
        { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [1000, 1008] } },
        new Uint8Array(24),
      );
      expectError('range.safetensors', f, /tensor b: data_offsets \[1000, 1008\] point past the end of the data \(24 bytes\)/);
    });
    it('overlapping or holed offsets', () => {
      const f = craft(
        { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [12, 20] } },
        new Uint8Array(24),
      );
      expectError('overlap.safetensors', f, /tensor b: data starts at 12 but the previous tensor ends at 16/);
      const g = craft({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(24));
      expectError('trailing.safetensors', g, /8 bytes after the last tensor/);
    });
    it('unsupported and unknown dtypes', () => {
      const f = craft({ a: { dtype: 'F16', shape: [4], data_offsets: [0, 8] } }, new Uint8Array(8));
      expectError('f16.safetensors', f, /tensor a: dtype F16 is not supported \(Lenscribe reads F32 and F64\)/);
      const g = craft({ a: { dtype: 'Q4', shape: [4], data_offsets: [0, 8] } }, new Uint8Array(8));
      expectError('q4.safetensors', g, /tensor a: unknown dtype "Q4"/);
    });
    it('shape that does not match the data size', () => {
      const f = craft({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 16] } }, new Uint8Array(16));
      expectError('shape.safetensors', f, /tensor a: shape \[2, 3\] of F32 needs 24 bytes but data_offsets \[0, 16\] span 16/);
      const g = craft({ a: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, new Uint8Array(16));
      expectError('negshape.safetensors', g, /tensor a: invalid shape \[-4\]/);
    });
    it('metadata that is not a string map', () => {
      const f = craft({ __metadata__: { epochs: 3 }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
      expectError('meta.safetensors', f, /metadata "epochs" is not a string/);
    });
    it('sanity: the good file reads', () => {
      expect(Array.from(readSafetensors(file('good.safetensors', good)).tensors.get('a')!.data)).toEqual([1, 2, 3, 4]);
      expect(len).toBeGreaterThan(0);
    });
  });

  // Interoperability: Python reads our file with nothing but json + struct + numpy (the format
  // spec), and with torch; and writes one for us to read.
  const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0);
  it.skipIf(!python)('is read by Python (json+struct+numpy, torch) exactly, and reads what Python writes', () => {
    const t = sample();
    const path = join(tmp, 'interop.safetensors');
    writeFileSync(path, encodeSafetensors(t, { format: 'lenscribe-decoder' }));
    const script = `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
out = {'metadata': header.pop('__metadata__', {}), 'tensors': {}}
for name, info in header.items():
    b, e = info['data_offsets']
    arr = np.frombuffer(data[b:e], dtype={'F32': '<f4', 'F64': '<f8'}[info['dtype']]).reshape(info['shape'])
    out['tensors'][name] = {'dtype': info['dtype'], 'shape': list(arr.shape), 'hex': arr.tobytes().hex()}
try:
    import torch
    w = torch.frombuffer(bytearray(data[slice(*header['W_embed']['data_offsets'])]), dtype=torch.float32).reshape(header['W_embed']['shape'])
    out['torch_sum'] = float(w.double().sum())
except ImportError:
    pass
# write a file the way an independent writer would: tensors in reverse order, no padding
a = np.arange(6, dtype='<f4').reshape(2, 3) / 7
b = np.array([1.5, -2.25], dtype='<f4')
hdr = json.dumps({'__metadata__': {'from': 'python'}, 'b': {'dtype': 'F32', 'shape': [2], 'data_offsets': [0, 8]}, 'a': {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [8, 32]}}).encode()
open(sys.argv[2], 'wb').write(struct.pack('<Q', len(hdr)) + hdr + b.tobytes() + a.tobytes())
print(json.dumps(out))
`;
    const fromPy = join(tmp, 'from-python.safetensors');
    const r = spawnSync(python!, ['-c', script, path, fromPy], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.metadata).toEqual({ format: 'lenscribe-decoder' });
    for (const [name, { shape, data }] of Object.entries(t)) {
      expect(out.tensors[name].shape).toEqual(shape);
      expect(out.tensors[name].hex).toBe(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex'));
    }
    if (out.torch_sum !== undefined) {
      const sum = Array.from(t.W_embed.data).reduce((s, x) => s + x, 0);
      expect(out.torch_sum).toBeCloseTo(sum, 10);
    }
    const back = readSafetensors(fromPy);
    expect(back.metadata).toEqual({ from: 'python' });
    expect(back.tensors.get('a')!.shape).toEqual([2, 3]);
    expect(Array.from(back.tensors.get('a')!.data)).toEqual(Array.from(Float32Array.from([0, 1, 2, 3, 4, 5].map((x) => x / 7))));
    expect(Array.from(back.tensors.get('b')!.data)).toEqual([1.5, -2.25]);
  });
});
