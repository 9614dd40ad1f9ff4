/** Content hash of a file, streamed (constant memory), plus its first bytes for format sniffing. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { SNIFF_BYTES } from './formats.js';

export interface HashResult {
  /** sha256, hex. */
  hash: string;
  size: number;
  head: Uint8Array;
}

const CHUNK = 1 << 20;

export async function hashFile(path: string, buffer: Buffer = Buffer.allocUnsafe(CHUNK)): Promise<HashResult> {
  const fh = await open(path, 'r');
  try {
    const h = createHash('sha256');
    let size = 0;
    let head: Uint8Array | null = null;
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      if (!head) head = Uint8Array.from(buffer.subarray(0, Math.min(SNIFF_BYTES, bytesRead)));
      h.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { hash: h.digest('hex'), size, head: head ?? new Uint8Array(0) };
  } finally {
    await fh.close();
  }
}
