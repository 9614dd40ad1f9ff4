/**
 * Activation ranges for the int8 encoders: measured by running the float32 encoder on
 * calibration photos, and kept in a committed file (models/encoders/<name>/calibration.json)
 * so that `npm ci` quantizes without any photos, to the same bytes on every machine.
 * Regenerate the file with scripts/calibrate-encoder.mjs (needs ../shared/datasets/flickr8k).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnxRuntime } from '../model/onnx-runtime.js';
import onnxProto from 'onnx-proto';
import { activationTensors, type ActivationRanges } from './quantize.js';

const { onnx } = onnxProto;

export interface CalibrationFile {
  format: 'lenscribe-calibration';
  version: 1;
  /** The int8 encoder these ranges are for, and the float32 encoder they were measured on. */
  encoder: string;
  from: { encoder: string; sha256: string };
  photos: { dataset: string; selection: string; preprocessing: string; files: string[] };
  method: string;
  /** Activation tensor → [min, max] over every value on every calibration photo. */
  ranges: ActivationRanges;
}

export function readCalibration(dir: string): CalibrationFile {
  const c = JSON.parse(readFileSync(join(dir, 'calibration.json'), 'utf8')) as CalibrationFile;
  if (c.format !== 'lenscribe-calibration' || c.version !== 1)
    throw new Error(`${dir}/calibration.json: not a lenscribe-calibration v1 file`);
  return c;
}

/** Calibration photos as the encoder's input: N×S×S×3 RGB uint8 (NHWC). */
export interface CalibrationPixels {
  pixels: Uint8Array;
  count: number;
  size: number;
}

const BATCH = 4;

/**
 * Min and max of every activation quantizeEncoder needs, over all photos, in graph order.
 * The float model runs with each such tensor exposed as an extra output.
 */
export async function measureRanges(floatModel: Uint8Array, calib: CalibrationPixels): Promise<ActivationRanges> {
  const tensors = activationTensors(floatModel);
  const model = onnx.ModelProto.decode(floatModel);
  const graph = model.graph!;
  const declared = new Set(graph.output!.map((o) => o.name));
  for (const t of tensors)
    if (!declared.has(t)) graph.output!.push({ name: t, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } });
  // 'basic' keeps every intermediate tensor (fusions would remove some of them).
  const ort = onnxRuntime();
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), { graphOptimizationLevel: 'basic' });
  const per = calib.size * calib.size * 3;
  const min = new Map(tensors.map((t) => [t, Infinity]));
  const max = new Map(tensors.map((t) => [t, -Infinity]));
  try {
    for (let i = 0; i < calib.count; i += BATCH) {
      const n = Math.min(BATCH, calib.count - i);
      const pixels = new ort.Tensor('uint8', calib.pixels.subarray(i * per, (i + n) * per), [n, calib.size, calib.size, 3]);
      const result = await session.run({ [session.inputNames[0]]: pixels }, tensors);
      for (const t of tensors) {
        const data = result[t].data as Float32Array;
        let lo = min.get(t)!;
        let hi = max.get(t)!;
        for (let k = 0; k < data.length; k++) {
          if (data[k] < lo) lo = data[k];
          if (data[k] > hi) hi = data[k];
        }
        min.set(t, lo);
        max.set(t, hi);
        result[t].dispose?.();
      }
    }
  } finally {
    await session.release();
  }
  return Object.fromEntries(tensors.map((t) => [t, [min.get(t)!, max.get(t)!] as const]));
}
