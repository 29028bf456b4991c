// Debugging across reloads: the address each status announces, and the
// follower that re-attaches to every new version, against the vscode
// stand-in (which records the sessions started and stopped).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { attachConfig, debugAddress, DebugFollower } from '../../src/debug';
import type { Status } from '../../src/protocol';
import * as stub from '../stub/vscode';

/** A status whose one target runs generation gen with Delve on port. */
function version(gen: number, port?: number): Status {
  return {
    state: 'running',
    root: '/w',
    label: 'running',
    targets: [
      { package: 'example.com/app', name: '.', state: 'running', generation: gen, serving: true, buildMs: 1, ...(port ? { debug: `127.0.0.1:${port}` } : {}) },
    ],
  };
}

let status: Status | undefined;
let setDebugCalls: (boolean | undefined)[];
let recorded: { event: string; [key: string]: unknown }[];
let f: DebugFollower;
const folder = { uri: stub.Uri.file('/w'), name: 'w', index: 0 };

beforeEach(() => {
  stub.reset();
  status = undefined;
  setDebugCalls = [];
  recorded = [];
  f = new DebugFollower(
    {
      status: () => status,
      setDebug: async (on) => {
        setDebugCalls.push(on);
      },
      record: (event, data) => recorded.push({ event, ...data }),
    },
    () => folder as never,
  );
});

afterEach(() => f.dispose());

/** Announces st as the daemon does, and lets the follower's promises run. */
async function announce(st: Status): Promise<void> {
  status = st;
  f.onStatus(st);
  await new Promise((r) => setImmediate(r));
}

function ports(): number[] {
  return stub.rec.debugSessions.map((s) => (s.adapter as stub.DebugAdapterServer).port);
}

function bar(): stub.StatusBarItem {
  return stub.rec.statusItems[0];
}

test('debugAddress: the first target in debug mode, or the named one; bad addresses are none', () => {
  assert.equal(debugAddress(undefined), undefined);
  assert.equal(debugAddress(version(1)), undefined, 'not in debug mode');
  assert.deepEqual(debugAddress(version(1, 40001)), { target: '.', host: '127.0.0.1', port: 40001 });
  const two: Status = { ...version(1, 40001), targets: [...version(1, 40001).targets, { ...version(1).targets[0], name: './cmd/admin', package: 'example.com/app/cmd/admin', debug: '[::1]:40002' }] };
  assert.deepEqual(debugAddress(two, './cmd/admin'), { target: './cmd/admin', host: '::1', port: 40002 });
  assert.deepEqual(debugAddress(two, 'example.com/app/cmd/admin')?.port, 40002);
  assert.equal(debugAddress(two, './cmd/none'), undefined);
  assert.equal(debugAddress({ ...version(1), targets: [{ ...version(1).targets[0], debug: 'nonsense' }] }), undefined);
  assert.deepEqual(attachConfig('.'), { type: 'ginhot', request: 'attach', mode: 'remote', name: 'GinHot: .', target: '.' });
});

test('Debug App without debug mode switches it on, then attaches to the first version that has an address', async () => {
  await announce(version(1));
  await f.debugApp();
  assert.deepEqual(setDebugCalls, [true]);
  assert.equal(stub.rec.debugSessions.length, 0, 'nothing to attach to yet');
  await announce(version(2, 40002));
  assert.deepEqual(ports(), [40002]);
  const s = stub.rec.debugSessions[0];
  assert.equal((s.adapter as stub.DebugAdapterServer).host, '127.0.0.1');
  assert.deepEqual(s.configuration, { type: 'ginhot', request: 'attach', mode: 'remote', name: 'GinHot: .', target: '.' });
  assert.equal(s.options?.suppressSaveBeforeStart, true, 'attaching must not save dirty files');
  assert.equal(s.folder, folder);
  assert.ok(bar().visible, 'the bug icon shows while debugging');
  assert.equal(bar().text, '$(bug) GinHot');
});

test('every new version re-attaches without saving; the same version does not', async () => {
  await announce(version(1, 40001));
  await f.debugApp();
  await announce(version(1, 40001));
  assert.deepEqual(ports(), [40001]);
  for (const [gen, port] of [
    [2, 40002],
    [3, 40003],
    [4, 40004],
  ]) {
    await announce(version(gen, port));
  }
  assert.deepEqual(ports(), [40001, 40002, 40003, 40004]);
  assert.deepEqual(
    stub.rec.debugStopped.map((s) => s.id),
    ['s1', 's2', 's3'],
    'each old session is stopped before the next attach',
  );
  assert.ok(stub.rec.debugSessions.every((s) => s.options?.suppressSaveBeforeStart === true));
  assert.ok(bar().visible, 'still debugging after the re-attaches');
});

test('a session halted at a breakpoint stays on its version until the user continues', async () => {
  await announce(version(1, 40001));
  await f.debugApp();
  const s1 = stub.rec.debugSessions[0];
  stub.adapterSends(s1, { type: 'event', event: 'stopped', body: { reason: 'breakpoint' } });
  await announce(version(2, 40002));
  assert.deepEqual(ports(), [40001], 'no re-attach while halted');
  stub.adapterSends(s1, { type: 'response', command: 'next', success: true });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(ports(), [40001], 'a step is no continue');
  stub.adapterSends(s1, { type: 'response', command: 'continue', success: true });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(ports(), [40001, 40002], 'continue lets the held requests go, then the follower moves on');
});

test('a session ended by its retired version follows the current one; one the user ends stops following', async () => {
  await announce(version(1, 40001));
  await f.debugApp();
  status = version(2, 40002); // the new version is ready; the old one is retired before the follower saw the status
  stub.endDebugSession(stub.rec.debugSessions[0]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(ports(), [40001, 40002]);
  stub.endDebugSession(stub.rec.debugSessions[1]); // the user pressed stop: its version is still current
  await new Promise((r) => setImmediate(r));
  assert.ok(!bar().visible, 'no bug icon once the user stopped debugging');
  await announce(version(3, 40003));
  assert.deepEqual(ports(), [40001, 40002], 'no attach after the user stopped');
});

test('a ginhot configuration started from launch.json gets the current version, or an error without one', async () => {
  assert.equal(await stub.debug.startDebugging(folder, attachConfig('.')), false, 'no version in debug mode');
  await announce(version(1, 40001));
  assert.equal(await stub.debug.startDebugging(folder, { type: 'ginhot', request: 'attach', name: 'mine' }), true);
  assert.deepEqual(ports(), [40001]);
  await announce(version(2, 40002));
  assert.deepEqual(ports(), [40001, 40002], 'a session the user started is followed too');
});

test('the event log gets each attach, breakpoints set, halt (with the frame it halted at), continue and end', async () => {
  await announce(version(1, 40001));
  await f.debugApp();
  const s1 = stub.rec.debugSessions[0];
  stub.adapterSends(s1, { type: 'response', command: 'setBreakpoints', success: true, body: { breakpoints: [{ verified: true, line: 26 }, { verified: false, line: 90 }] } });
  stub.adapterSends(s1, { type: 'event', event: 'stopped', body: { reason: 'breakpoint', threadId: 1 } });
  const frames = { stackFrames: [{ name: 'main.handler', line: 26, source: { path: '/w/handlers.go' } }, { name: 'gin.(*Context).Next', line: 185 }] };
  stub.adapterSends(s1, { type: 'response', command: 'stackTrace', success: true, body: frames });
  stub.adapterSends(s1, { type: 'response', command: 'stackTrace', success: true, body: frames }); // a second look at the same halt
  stub.adapterSends(s1, { type: 'response', command: 'continue', success: true });
  await announce(version(2, 40002));
  assert.deepEqual(recorded, [
    { event: 'debug-attached', session: 's1', target: '.', addr: '127.0.0.1:40001' },
    { event: 'debug-breakpoints', session: 's1', verified: [26] },
    { event: 'debug-stopped', session: 's1', reason: 'breakpoint' },
    { event: 'debug-frame', session: 's1', function: 'main.handler', file: '/w/handlers.go', line: 26 },
    { event: 'debug-continued', session: 's1' },
    { event: 'debug-ended', session: 's1', replaced: true },
    { event: 'debug-attached', session: 's2', target: '.', addr: '127.0.0.1:40002' },
  ]);
});
