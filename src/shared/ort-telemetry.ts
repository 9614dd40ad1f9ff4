/**
 * onnxruntime-node's Linux build carries Microsoft's telemetry SDK: every process that loads it
 * writes `$TMPDIR/.ses` and an empty `$TMPDIR/mat-debug-<pid>.log`, never removed, and would send
 * events where it has a route. Lenscribe sends nothing anywhere, so it is switched off with the
 * variable onnxruntime reads natively. Only the main thread can set the process's real environment
 * (a worker's process.env is a copy), so this runs there before any worker or session starts.
 */
import { isMainThread } from 'node:worker_threads';

export function disableOrtTelemetry(): void {
  if (isMainThread) process.env.ORT_DISABLE_TELEMETRY ??= '1';
}
