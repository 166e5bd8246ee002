/**
 * Resident memory of this process, for the memory probes (run with --expose-gc). The peak is the kernel's
 * high-water mark (VmHWM), reset through /proc/self/clear_refs, so a short spike between two samples still counts;
 * a 2 ms sampler runs alongside as a cross-check and as the fallback where clear_refs cannot be written.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** Current resident set size in bytes. */
export function rssBytes(): number {
  return process.memoryUsage.rss();
}

/** A full garbage collection (twice: the second frees what finalizers released), then a moment for the allocator. */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('memory probe: run node with --expose-gc');
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
}

/** Synchronous full collection (inside a hot loop). */
export function collectGarbageNow(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function highWaterMark(): number | null {
  try {
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Tracks the peak RSS from now on. */
export class PeakMeter {
  private sampled = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly kernelPeak: boolean;

  constructor() {
    let reset = false;
    try {
      // "5" resets the peak RSS (VmHWM) to the current RSS (Linux >= 4.0).
      writeFileSync('/proc/self/clear_refs', '5');
      reset = highWaterMark() !== null;
    } catch {
      reset = false;
    }
    this.kernelPeak = reset;
    this.sampled = rssBytes();
    this.timer = setInterval(() => {
      this.sampled = Math.max(this.sampled, rssBytes());
    }, 2);
  }

  /** Stops sampling; returns the peak (kernel high-water mark when available) and the sampled peak. */
  stop(): { peak: number; sampledPeak: number; source: 'VmHWM' | 'sampling' } {
    clearInterval(this.timer);
    this.sampled = Math.max(this.sampled, rssBytes());
    const kernel = this.kernelPeak ? highWaterMark() : null;
    return kernel !== null
      ? { peak: Math.max(kernel, this.sampled), sampledPeak: this.sampled, source: 'VmHWM' }
      : { peak: this.sampled, sampledPeak: this.sampled, source: 'sampling' };
  }
}
