/** Whether a process with this pid is running (someone else's counts: signalling it is refused with EPERM, not ESRCH). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
