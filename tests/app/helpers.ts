/** Shared fixtures for the app tests: a temp folder of real Flickr8k photos, raw HTTP requests. */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { datasetPath } from '../../src/shared/paths.js';

export const datasetImages = datasetPath('flickr8k', 'images');
export const rendererDir = resolve(process.cwd(), 'dist', 'renderer');

export function requireBuiltRenderer(): void {
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error(`renderer not built (${rendererDir}); run npm run build first`);
}

/** Copy the first `n` photos (sorted by name) of the dataset into `dir`; returns their names. */
export function copyPhotos(dir: string, n: number, skip = 0): string[] {
  mkdirSync(dir, { recursive: true });
  const names = readdirSync(datasetImages)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(skip, skip + n);
  for (const name of names) copyFileSync(join(datasetImages, name), join(dir, name));
  return names;
}

/** A file with a photo's name and a JPEG's first bytes, cut short: a broken photo. */
export function writeBrokenJpeg(file: string, from: string): void {
  const bytes = readFileSync(from);
  writeFileSync(file, bytes.subarray(0, Math.min(600, bytes.length >> 4)));
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** An HTTP request with the path sent exactly as given (no URL normalisation). */
export function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
  host = '127.0.0.1',
): Promise<RawResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host, port, method, path, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
