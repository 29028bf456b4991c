// Command wiring and the controller's life cycle, against the vscode
// stand-in and a recording daemon (the real daemon is the integration
// test's job).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, afterEach, beforeEach, test } from 'node:test';
import { commands, registerCommands } from '../../src/commands';
import type { DaemonEvents, Launch, StartDaemon } from '../../src/daemon';
import { EventLog } from '../../src/eventlog';
import { Ginhot, restartKeys } from '../../src/ginhot';
import type { Status } from '../../src/protocol';
import * as stub from '../stub/vscode';

const tmp = mkdtempSync(path.join(tmpdir(), 'ginhot-commands-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const bin = path.join(tmp, 'ginhotd');
writeFileSync(bin, '#!/bin/sh\n');
chmodSync(bin, 0o755);

/** A daemon that records what the extension asks of it. */
class Recorded {
  calls: { command: string; args: unknown[] }[] = [];
  stopped = false;
  answers: Record<string, unknown> = {};
  constructor(
    readonly launch: Launch,
    readonly on: DaemonEvents,
  ) {}
  execute = async (command: string, args: unknown[] = []) => {
    this.calls.push({ command, args });
    if (command in this.answers) return this.answers[command];
    if (command === 'ginhot.status') return { state: 'idle', root: this.launch.cwd, label: 'idle', targets: [] };
    throw new Error(`unexpected ${command}`);
  };
  stop = async () => {
    this.stopped = true;
  };
}

let daemons: Recorded[];
let g: Ginhot;
let events: string;
const start: StartDaemon = async (launch, on) => {
  const d = new Recorded(launch, on);
  daemons.push(d);
  return d;
};

async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const running: Status = {
  state: 'running',
  root: tmp,
  label: '127.0.0.1:8080',
  targets: [{ package: 'example.com/app', name: '.', state: 'running', pid: 42, url: 'http://127.0.0.1:8080', generation: 1, serving: true, buildMs: 900 }],
};

function item(): stub.StatusBarItem {
  return stub.rec.statusItems[0];
}

function run(id: string, ...args: unknown[]): Promise<unknown> {
  return stub.commands.executeCommand(id, ...args);
}

beforeEach(async () => {
  stub.reset();
  stub.rec.workspaceFolders = [{ uri: stub.Uri.file(tmp), name: 'app', index: 0 }];
  stub.rec.settings['ginhot.path'] = bin;
  daemons = [];
  events = path.join(mkdtempSync(path.join(tmp, 'ev-')), 'events.jsonl');
  g = new Ginhot(start, new EventLog(events), { PATH: '/nonexistent', HOME: tmp });
  registerCommands(g);
  await g.start();
});

afterEach(() => g.dispose());

test('every command in package.json is registered, and nothing else; every setting is known', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8'));
  const declared = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual(Object.keys(commands).sort(), declared);
  assert.deepEqual([...stub.rec.commands.keys()].sort(), declared);
  for (const c of pkg.contributes.commands) assert.equal(c.category, 'GinHot', c.command);
  assert.ok(pkg.activationEvents.includes('workspaceContains:**/go.mod'));
  const settings = Object.keys(pkg.contributes.configuration.properties).sort();
  assert.deepEqual(
    settings,
    [...restartKeys.map((k) => `ginhot.${k}`), 'ginhot.trace.server', 'ginhot.debug'].sort(),
    'every setting but the trace and debug mode (an LSP command) restarts the daemon',
  );
  assert.deepEqual(
    pkg.contributes.debuggers.map((d: { type: string }) => d.type),
    ['ginhot'],
  );
  // Without this VS Code refuses breakpoints in Go files unless another extension (vscode-go) allows them.
  assert.deepEqual(pkg.contributes.breakpoints, [{ language: 'go' }]);
});

test('start launches the configured binary in the workspace with the settings as initializationOptions', () => {
  assert.equal(daemons.length, 1);
  const l = daemons[0].launch;
  assert.equal(l.command, bin);
  assert.deepEqual(l.args, []);
  assert.equal(l.cwd, tmp);
  assert.deepEqual(l.initializationOptions, { diagnostics: 'all' });
  assert.deepEqual(daemons[0].calls, [{ command: 'ginhot.status', args: [] }], 'asks for the first status');
  assert.equal(item().text, '$(circle-outline) GinHot: idle');
  assert.ok(item().visible);
});

test('app commands send workspace/executeCommand, with the target when given', async () => {
  const d = daemons[0];
  d.calls = [];
  for (const c of ['restart', 'rebuild', 'stop', 'start']) d.answers[`ginhot.${c}`] = null;
  await run('ginhot.restartApp');
  await run('ginhot.rebuildApp', './cmd/api');
  await run('ginhot.stopApp');
  await run('ginhot.startApp');
  assert.deepEqual(d.calls, [
    { command: 'ginhot.restart', args: [] },
    { command: 'ginhot.rebuild', args: ['./cmd/api'] },
    { command: 'ginhot.stop', args: [] },
    { command: 'ginhot.start', args: [] },
  ]);
});

test('ginhot/status drives the status bar; the event log records it', () => {
  daemons[0].on.status(running);
  assert.equal(item().text, '$(check) GinHot: 127.0.0.1:8080');
  assert.equal(item().command, 'ginhot.openApp');
  daemons[0].on.status({ ...running, state: 'failed', label: 'build failed', targets: [{ ...running.targets[0], state: 'failed', error: 'main.go:3:1: x' }] });
  assert.equal(item().text, '$(error) GinHot: build failed');
  assert.equal(item().command, 'workbench.actions.view.problems');
  assert.equal((item().backgroundColor as stub.ThemeColor).id, 'statusBarItem.errorBackground');
  const states = readFileSync(events, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'status').map((e) => e.state);
  assert.deepEqual(states, ['launching', 'idle', 'running', 'failed']);
});

test("a multi-root workspace shows the status of the active file's root", async () => {
  const a = path.join(tmp, 'a');
  const b = path.join(tmp, 'b');
  const on = daemons[0].on;
  on.status({ ...running, root: a });
  on.status({ ...running, root: b, state: 'failed', label: 'build failed', targets: [{ ...running.targets[0], state: 'failed' }] });
  assert.equal(item().text, '$(error) GinHot: build failed', 'the last reported root without an active file');
  stub.openFile(path.join(a, 'main.go'));
  assert.equal(item().text, '$(check) GinHot: 127.0.0.1:8080');
  stub.openFile(path.join(b, 'sub', 'x.go'));
  assert.equal(item().text, '$(error) GinHot: build failed');
  stub.openFile(path.join(tmp, 'ab', 'x.go'));
  assert.equal(item().text, '$(circle-outline) GinHot: idle', 'tmp/ab/x.go is in the root tmp (the first status), not in tmp/a');
  on.status({ ...running, root: a, targets: [{ ...running.targets[0], url: 'http://127.0.0.1:9000' }] });
  stub.openFile(path.join(a, 'main.go'));
  await run('ginhot.openApp');
  assert.deepEqual(stub.rec.opened, ['http://127.0.0.1:9000'], "opens the active root's app");
});

test('window/logMessage goes to the "GinHot App" channel; Show App Output reveals it', async () => {
  daemons[0].on.log(4, '[GIN] 200 | GET /');
  const app = stub.rec.channels.find((c) => c.name === 'GinHot App');
  assert.deepEqual(app?.lines, ['[GIN] 200 | GET /']);
  const daemonChannel = stub.rec.channels.find((c) => c.name === 'GinHot Daemon');
  assert.ok(daemonChannel?.log, 'the daemon channel is a log channel (vscode-languageclient needs it)');
  await run('ginhot.showOutput');
  assert.equal(app?.shown, 1);
});

test('Open App in Browser opens the running URL, or asks which one', async () => {
  await run('ginhot.openApp');
  assert.deepEqual(stub.rec.opened, []);
  assert.match(stub.rec.messages[0].text, /no app is serving/);
  daemons[0].on.status(running);
  await run('ginhot.openApp');
  assert.deepEqual(stub.rec.opened, ['http://127.0.0.1:8080']);
  daemons[0].on.status({ ...running, targets: [...running.targets, { ...running.targets[0], name: './cmd/admin', url: 'http://127.0.0.1:8081' }] });
  stub.rec.quickPickAnswers.push('http://127.0.0.1:8081');
  await run('ginhot.openApp');
  assert.deepEqual(stub.rec.opened, ['http://127.0.0.1:8080', 'http://127.0.0.1:8081']);
});

test('Explain Current File sends the active file URI and shows the reason', async () => {
  const file = path.join(tmp, 'unused', 'unused.go');
  stub.rec.activeFile = file;
  daemons[0].answers['ginhot.explain'] = { decision: 'none', targets: [], reason: 'none: ./unused is not imported by any target' };
  const x = await run('ginhot.explainFile');
  assert.deepEqual(daemons[0].calls.at(-1), { command: 'ginhot.explain', args: [stub.Uri.file(file).toString()] });
  assert.equal((x as { decision: string }).decision, 'none');
  assert.deepEqual(stub.rec.messages.at(-1), { level: 'info', text: 'GinHot: unused.go: none: ./unused is not imported by any target', items: [] });
  daemons[0].answers['ginhot.explain'] = { decision: 'rebuild', targets: ['.'], reason: 'main.go is in the target' };
  await run('ginhot.explainFile', stub.Uri.file(path.join(tmp, 'main.go')));
  assert.equal(stub.rec.messages.at(-1)?.text, 'GinHot: main.go: rebuild: main.go is in the target');
});

test('a failing command shows an error instead of throwing', async () => {
  daemons[0].answers = {};
  await run('ginhot.rebuildApp');
  assert.deepEqual(stub.rec.messages.at(-1), { level: 'error', text: 'GinHot: unexpected ginhot.rebuild', items: [] });
});

test('changing a ginhot setting restarts the daemon with the new options; trace does not', async () => {
  stub.changeSettings({ 'ginhot.addr': '127.0.0.1:0', 'ginhot.targets': ['./cmd/api'] });
  await until('a second daemon', () => daemons.length === 2);
  assert.ok(daemons[0].stopped);
  assert.deepEqual(daemons[1].launch.initializationOptions, { addr: '127.0.0.1:0', targets: ['./cmd/api'], diagnostics: 'all' });
  stub.changeSettings({ 'ginhot.trace.server': 'verbose', 'editor.fontSize': 20 });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(daemons.length, 2);
  stub.changeSettings({ 'ginhot.trace.server': 'off', 'ginhot.liveReload': false });
  await until('a third daemon', () => daemons.length === 3);
  assert.equal(daemons[2].launch.initializationOptions.live_reload, false);
});

test('events from a replaced daemon are ignored', async () => {
  const old = daemons[0];
  await run('ginhot.restartDaemon');
  assert.equal(daemons.length, 2);
  old.on.status(running);
  old.on.log(4, 'late line');
  assert.equal(item().text, '$(circle-outline) GinHot: idle');
  assert.deepEqual(stub.rec.channels.find((c) => c.name === 'GinHot App')?.lines, []);
});

test('a daemon that gives up shows "off"; commands then say how to recover', async () => {
  daemons[0].on.stopped('ginhotd exited 5 times in three minutes');
  assert.equal(item().text, '$(circle-slash) GinHot: off');
  assert.equal(item().command, 'ginhot.restartDaemon');
  await run('ginhot.restartApp');
  assert.match(stub.rec.messages.at(-1)?.text ?? '', /not running; run "GinHot: Restart Daemon"/);
  await run('ginhot.restartDaemon');
  assert.equal(daemons.length, 2);
  assert.equal(item().text, '$(circle-outline) GinHot: idle');
});

test('a missing binary offers go install, and starts the daemon once it succeeds', async () => {
  await g.stop();
  daemons = [];
  stub.rec.settings['ginhot.path'] = 'ginhotd-missing';
  stub.rec.answers.push('Install with go install');
  await run('ginhot.restartDaemon');
  assert.equal(item().text, '$(warning) GinHot: ginhotd not found');
  await until('the install task', () => stub.rec.tasks.length === 1);
  const t = stub.rec.tasks[0];
  assert.deepEqual([t.execution.command, ...t.execution.args], ['go', 'install', 'github.com/ginhotd/ginhotd/cmd/ginhotd@latest']);
  assert.match(stub.rec.messages[0].text, /"ginhotd-missing" was not found/);
  stub.endTask('install ginhotd', 1);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(daemons.length, 0, 'a failed install starts nothing');
  stub.rec.answers.push('Install with go install');
  await run('ginhot.restartDaemon');
  await until('the second install task', () => stub.rec.tasks.length === 2);
  stub.rec.settings['ginhot.path'] = bin;
  stub.endTask('install ginhotd', 0);
  await until('the daemon after install', () => daemons.length === 1);
});

test('dispose stops the daemon and unregisters the listeners', async () => {
  const d = daemons[0];
  await g.dispose();
  assert.ok(d.stopped);
  assert.ok(stub.rec.statusItems[0].disposed);
  stub.changeSettings({ 'ginhot.addr': ':1' });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(daemons.length, 1);
});
