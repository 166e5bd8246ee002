/** What the bench sends to its child processes and what they answer (over the fork IPC channel). */
import type { BenchPluginSettings } from './bench-plugin';
import type { RawTarget } from './raw-imap';

/** One memory measurement, run in a fresh child process started with --expose-gc. */
export type MemoryTask =
  /** The plugin polls `accountId` (one large message) after a warm-up poll of `warmAccountId`, into the TicketStore or the minimal host. */
  | {
      readonly kind: 'plugin-large';
      readonly settings: BenchPluginSettings;
      readonly warmAccountId: string;
      readonly accountId: string;
      readonly host: 'ticket-store' | 'minimal';
    }
  /** imapflow fetches UID `uid` after a warm-up fetch from `warm`. */
  | { readonly kind: 'raw-large'; readonly target: RawTarget; readonly warm: RawTarget; readonly uid: number }
  /** The plugin polls `accountId` (many small messages); RSS after gc at `warmup` messages and at the end. */
  | {
      readonly kind: 'plugin-flat';
      readonly settings: BenchPluginSettings;
      readonly warmAccountId: string;
      readonly accountId: string;
      readonly warmup: number;
      readonly checkpointEvery: number;
    }
  /** imapflow streams the same messages, dropping each one. */
  | {
      readonly kind: 'raw-flat';
      readonly target: RawTarget;
      readonly warmup: number;
      readonly checkpointEvery: number;
    };

/** RSS and heap after a full gc, at a message count. */
export interface MemoryCheckpoint {
  readonly messages: number;
  readonly rss: number;
  readonly heapUsed: number;
}

/** What a memory probe measured. */
export interface MemoryResult {
  /** RSS after gc just before the measured work. */
  readonly baselineRss: number;
  /** Peak RSS during the work (large runs). */
  readonly peakRss?: number;
  readonly sampledPeakRss?: number;
  readonly peakSource?: 'VmHWM' | 'sampling';
  /** RSS after gc when the work was done (flat runs). */
  readonly finalRss?: number;
  readonly checkpoints?: readonly MemoryCheckpoint[];
  /** Messages fetched (ingested for the plugin). */
  readonly fetched: number;
  readonly bytes: number;
  readonly ms: number;
  /** Warnings logged by the plugin. */
  readonly warnings?: number;
  readonly firstWarnings?: readonly string[];
}

/** The token race worker: assembles the plugin, asks `requests` times at once for the token of `accountId`. */
export interface TokenRaceTask {
  readonly settings: BenchPluginSettings;
  readonly accountId: string;
  readonly requests: number;
}

/** What one token race worker saw. */
export interface TokenRaceResult {
  readonly pid: number;
  /** sha256 of every distinct access token returned. */
  readonly tokenShas: readonly string[];
  readonly answered: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly ms: number;
}

/** A scale worker: a host process in miniature polling every account of a shared database until told to stop. */
export interface ScaleTask {
  readonly settings: BenchPluginSettings;
  /** Pause after a cycle that found nothing new, as a scheduler's interval would (ms). */
  readonly idlePauseMs: number;
}

/** What one scale worker did between "go" and "stop". */
export interface ScaleResult {
  readonly pid: number;
  /** New tickets this process made. */
  readonly fetched: number;
  /** Messages this process was handed that the host or the ledger already had. */
  readonly duplicates: number;
  readonly failed: number;
  readonly cycles: number;
  /** Account polls by outcome (polled, busy: leased by another process, failed, aborted). */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly firstError: string | null;
}

/** Messages from a child. */
export type ChildMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly result: unknown }
  | { readonly type: 'error'; readonly message: string };
