/**
 * The baseline: plain imapflow 2.10.2 doing the same work as the plugin on the same Dovecot with the same access
 * token (implicit TLS verified against the test CA, XOAUTH2/OAUTHBEARER as imapflow picks, no logger, no IDLE).
 */
import { ImapFlow } from 'imapflow';

/** Where and as whom. */
export interface RawTarget {
  readonly port: number;
  readonly caPem: string;
  readonly user: string;
  readonly accessToken: string;
}

/**
 * Connects and authenticates.
 * @param target - port, CA, user, token
 */
export async function rawConnect(target: RawTarget): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: target.port,
    secure: true,
    tls: { ca: [target.caPem], rejectUnauthorized: true },
    auth: { user: target.user, accessToken: target.accessToken },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** What a raw fetch returned. */
export interface RawFetchResult {
  readonly messages: number;
  readonly bytes: number;
  readonly ms: number;
}

/**
 * Connect + auth + SELECT INBOX, then every message's full source (BODY.PEEK[] through one streamed FETCH 1:*)
 * into memory, then LOGOUT.
 * @param target - port, CA, user, token
 * @param keep - keep the sources in memory (true, as the ingest comparison) or drop each one (the memory runs)
 * @param onMessage - called after each message (the memory probe samples there)
 */
export async function rawFetchAll(
  target: RawTarget,
  keep = true,
  onMessage?: (index: number) => void,
): Promise<RawFetchResult> {
  const started = performance.now();
  const client = await rawConnect(target);
  const sources: Buffer[] = [];
  let bytes = 0;
  let messages = 0;
  try {
    await client.mailboxOpen('INBOX');
    for await (const msg of client.fetch('1:*', { uid: true, source: true }, { uid: true })) {
      const source = msg.source ?? Buffer.alloc(0);
      bytes += source.length;
      messages += 1;
      if (keep) sources.push(source);
      onMessage?.(messages);
    }
    await client.logout();
  } finally {
    client.close();
  }
  return { messages, bytes, ms: performance.now() - started };
}

/**
 * Connect + auth + SELECT INBOX, then each message's source by its own UID FETCH (fetchOne BODY.PEEK[]), one after
 * the other: the plugin's access pattern without anything around it.
 * @param target - port, CA, user, token
 */
export async function rawFetchEach(target: RawTarget): Promise<RawFetchResult> {
  const started = performance.now();
  const client = await rawConnect(target);
  const sources: Buffer[] = [];
  let bytes = 0;
  try {
    await client.mailboxOpen('INBOX');
    const found = await client.search({ all: true }, { uid: true });
    for (const uid of Array.isArray(found) ? found : []) {
      const msg = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
      const source = msg ? (msg.source ?? Buffer.alloc(0)) : Buffer.alloc(0);
      bytes += source.length;
      sources.push(source);
    }
    await client.logout();
  } finally {
    client.close();
  }
  return { messages: sources.length, bytes, ms: performance.now() - started };
}

/**
 * One message's source by UID (fetchOne BODY.PEEK[]), as the plugin downloads it.
 * @param target - port, CA, user, token
 * @param uid - the message's UID in INBOX
 */
export async function rawFetchOne(target: RawTarget, uid: number): Promise<number> {
  const client = await rawConnect(target);
  try {
    await client.mailboxOpen('INBOX');
    const msg = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
    const size = msg ? (msg.source?.length ?? 0) : 0;
    await client.logout();
    return size;
  } finally {
    client.close();
  }
}

/**
 * Connect + auth + SELECT + LOGOUT for each target, at most `concurrency` at a time (the plugin's fetch.concurrency).
 * @returns elapsed ms
 */
export async function rawConnectSelect(targets: readonly RawTarget[], concurrency: number): Promise<number> {
  const started = performance.now();
  const queue = [...targets];
  const worker = async () => {
    for (let target = queue.shift(); target; target = queue.shift()) {
      const client = await rawConnect(target);
      try {
        await client.mailboxOpen('INBOX');
        await client.logout();
      } finally {
        client.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, targets.length)) }, worker));
  return performance.now() - started;
}
