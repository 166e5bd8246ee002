import { EventEmitter } from 'node:events';
import type { ImapFlow } from 'imapflow';
import { boundBySilence, ServerSilentError } from '../../../adapters/imapflow/silence-watchdog';

/** What the watchdog touches of an imapflow client: its socket's data events and close(). */
function fakeClient(): { client: ImapFlow; socket: EventEmitter; closed: () => number } {
  const socket = new EventEmitter();
  let closes = 0;
  const client = { socket, close: () => (closes += 1) } as unknown as ImapFlow;
  return { client, socket, closed: () => closes };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('silence watchdog', () => {
  it('ends a command the server stays silent on, closing the client', async () => {
    const { client, socket, closed } = fakeClient();
    const result = boundBySilence(client, 3000, () => new Promise<never>(() => undefined));
    const outcome = result.catch((error: unknown) => error);
    jest.advanceTimersByTime(2999);
    expect(closed()).toBe(0);
    jest.advanceTimersByTime(1);
    expect(await outcome).toBeInstanceOf(ServerSilentError);
    expect(closed()).toBe(1);
    expect(socket.listenerCount('data')).toBe(0);
  });

  it('never cuts off a command that keeps receiving, however long it takes', async () => {
    const { client, socket, closed } = fakeClient();
    let finish!: (value: string) => void;
    const result = boundBySilence(client, 3000, () => new Promise<string>((resolve) => (finish = resolve)));
    for (let i = 0; i < 10; i++) {
      jest.advanceTimersByTime(2500);
      socket.emit('data', Buffer.from('* 1 FETCH ...'));
    }
    finish('done');
    await expect(result).resolves.toBe('done');
    jest.advanceTimersByTime(10_000);
    expect(closed()).toBe(0);
    expect(socket.listenerCount('data')).toBe(0);
  });

  it("passes a command's own failure through and leaves the client alone", async () => {
    const { client, closed } = fakeClient();
    await expect(boundBySilence(client, 3000, async () => Promise.reject(new Error('NO')))).rejects.toThrow('NO');
    jest.advanceTimersByTime(10_000);
    expect(closed()).toBe(0);
  });
});
