// BatchSources: groups bounded by listed bytes, a large message alone, a vanished one null, bytes as stored.
import { BatchSources } from '../../../plugin/fetch/batch-sources';
import { FakeMailServer, FakeSession } from '../../helpers/fakes/fake-mail-server';

/** A fake session that also answers batch downloads, recording each group it was asked for. */
class GroupingSession extends FakeSession {
  readonly groups: number[][] = [];
  readonly singles: number[] = [];

  async downloadMany(uids: readonly number[]): Promise<Map<number, Buffer>> {
    this.groups.push([...uids]);
    const found = new Map<number, Buffer>();
    for (const uid of uids) {
      const raw = await super.download(uid);
      if (raw !== null) found.set(uid, raw);
    }
    return found;
  }

  override async download(uid: number): Promise<Buffer | null> {
    this.singles.push(uid);
    return super.download(uid);
  }
}

async function world(sizes: number[]) {
  const server = new FakeMailServer();
  const folder = server.folder('u@x.test');
  sizes.forEach((size, i) => folder.add(Buffer.alloc(size, 65 + i)));
  const session = new GroupingSession(server, 'u@x.test');
  await session.openFolder('INBOX');
  const listed = await session.listMessages({ fromUid: 1 });
  return { folder, session, listed };
}

describe('BatchSources', () => {
  it('fetches consecutive messages in groups within the byte bound, a larger one alone, each handed out once and byte-identical', async () => {
    const { folder, session, listed } = await world([40, 40, 40, 150, 30, 30]);
    const sources = new BatchSources(session, listed, 100);
    for (const summary of listed) {
      expect((await sources.take(summary.uid))?.equals(folder.messages.get(summary.uid)!.raw)).toBe(true);
    }
    expect(session.groups).toEqual([
      [1, 2],
      [5, 6],
    ]);
    expect(session.singles).toEqual([3, 4]);
    // Handed out once: a second take asks the server again, never a kept buffer.
    expect((await sources.take(1))?.length).toBe(40);
    expect(session.groups.at(-1)).toEqual([1, 2]);
  });

  it('gives null for a message that vanished before its group was fetched, and still the others', async () => {
    const { folder, session, listed } = await world([10, 10, 10]);
    folder.messages.delete(2);
    const sources = new BatchSources(session, listed, 1000);
    expect((await sources.take(1))?.length).toBe(10);
    expect(await sources.take(2)).toBeNull();
    expect((await sources.take(3))?.length).toBe(10);
    expect(session.groups).toEqual([[1, 2, 3]]);
  });

  it('downloads one at a time when the session has no batch download', async () => {
    const server = new FakeMailServer();
    server.folder('u@x.test').add('a');
    server.folder('u@x.test').add('b');
    const session = new FakeSession(server, 'u@x.test');
    await session.openFolder('INBOX');
    const sources = new BatchSources(session, await session.listMessages({ fromUid: 1 }));
    expect((await sources.take(2))?.toString()).toBe('b');
    expect((await sources.take(1))?.toString()).toBe('a');
  });
});
