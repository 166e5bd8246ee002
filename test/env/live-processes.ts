// Processes started by the test environment die with the test process, even when a test forgets stop().

const live = new Set<number>();
let exitHookInstalled = false;

/** SIGTERMs `pid` when this process exits, unless {@link forgetAtExit} was called for it first. */
export function killAtExit(pid: number | undefined): void {
  if (pid === undefined) return;
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const livePid of live) {
        try {
          process.kill(livePid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    });
  }
  live.add(pid);
}

/** `pid` ended (or was stopped): nothing to kill at exit. */
export function forgetAtExit(pid: number | undefined): void {
  if (pid !== undefined) live.delete(pid);
}
