/**
 * The demo's process supervision with a real helpdesk child (`oauth2-mail start`) and two stand-in services: when the
 * child dies, the demo says why (signal or exit code, the last lines of its log and where the log is) and stops the
 * other services and itself with exit code 1; Ctrl-C still stops everything, the child included, with exit code 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DemoSupervisor } from '../../../host/demo/demo-supervisor';
import { freePort, startHostProcess, type HostProcess } from '../../../host/demo/host-process';
import { ensureBuilt, REPO_ROOT } from './ensure-build';

jest.setTimeout(120_000);

let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'o2m-demo-supervisor-'));
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A supervisor over a fresh helpdesk child and two stand-ins, recording what it says, stops and exits with. */
async function supervised(name: string): Promise<{
  supervisor: DemoSupervisor;
  host: HostProcess;
  said: string[];
  errors: string[];
  stopped: string[];
  exits: number[];
}> {
  const said: string[] = [];
  const errors: string[] = [];
  const stopped: string[] = [];
  const exits: number[] = [];
  const supervisor = new DemoSupervisor(
    { say: (line) => said.push(line), error: (line) => errors.push(line) },
    (code) => exits.push(code),
  );
  supervisor.add('provider', async () => void stopped.push('provider'));
  supervisor.add('dovecot', async () => void stopped.push('dovecot'));
  const host = await startHostProcess({
    packageRoot: REPO_ROOT,
    db: join(dir, name, 'helpdesk', 'helpdesk.sqlite'),
    port: await freePort(),
    adminEmail: 'admin@demo.test',
    adminPassword: 'demo admin password 1',
    logFile: join(dir, name, 'helpdesk.log'),
  });
  supervisor.add('helpdesk', async () => {
    await host.stop();
    stopped.push('helpdesk');
  });
  supervisor.watchHelpdesk(host);
  return { supervisor, host, said, errors, stopped, exits };
}

describe('demo supervision', () => {
  it('stops the provider and Dovecot and says why when the helpdesk child is killed', async () => {
    const run = await supervised('killed');
    process.kill(run.host.pid, 'SIGKILL');
    expect(await run.host.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await run.supervisor.stopped).toBe(1);
    expect(run.exits).toEqual([1]);
    expect(run.stopped).toEqual(['helpdesk', 'dovecot', 'provider']);
    const text = run.errors.join('\n');
    expect(text).toContain('The helpdesk stopped unexpectedly (signal SIGKILL)');
    expect(text).toContain(join(dir, 'killed', 'helpdesk.log'));
    // The last lines of its log: the start-up lines of the child that was killed.
    expect(text).toMatch(/"msg":"(plugin installed|request|host started|[^"]+)"/);
  });

  it('names the exit code when the child exits by itself', async () => {
    const run = await supervised('exited');
    process.kill(run.host.pid, 'SIGTERM');
    expect(await run.host.exited).toEqual({ code: 0, signal: null });
    expect(await run.supervisor.stopped).toBe(1);
    expect(run.errors.join('\n')).toContain('The helpdesk stopped unexpectedly (exit code 0)');
  });

  it('stops everything on Ctrl-C, the child first, and exits 0 without a complaint', async () => {
    const run = await supervised('interrupted');
    expect(await run.supervisor.interrupt('SIGINT')).toBe(0);
    expect(await run.host.exited).toEqual({ code: 0, signal: null });
    expect(run.stopped).toEqual(['helpdesk', 'dovecot', 'provider']);
    expect(run.exits).toEqual([0]);
    expect(run.errors).toEqual([]);
  });
});
