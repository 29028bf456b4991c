// Integration test against the real daemon: spawns `ginhotd --stdio` on a
// copy of editors/testdata/app through vscode-languageserver-protocol (the
// library vscode-languageclient is built on), with the initializationOptions
// the extension computes, and checks what the extension relies on: the
// capabilities, ginhot/status, app output as window/logMessage, a compile
// error as a diagnostic at its line and its clearing, the commands, and a
// clean shutdown that leaves no app process behind.
//
// GINHOTD_BIN names the daemon; without it the test builds ./cmd/ginhotd.
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import {
  createProtocolConnection,
  Diagnostic,
  DidOpenTextDocumentNotification,
  DidSaveTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  InitializeResult,
  LogMessageNotification,
  ProtocolConnection,
  PublishDiagnosticsNotification,
  ShutdownRequest,
} from 'vscode-languageserver-protocol/node';
import { initializationOptions } from '../../src/config';
import { Explanation, serverCommands, Status, statusNotification } from '../../src/protocol';

const repo = path.resolve(__dirname, '../../../..');
const wait = Number(process.env.GINHOT_TEST_WAIT_MS || 120000);

const tmp = mkdtempSync(path.join(tmpdir(), 'ginhot-integration-'));
const app = path.join(tmp, 'app');
const mainGo = path.join(app, 'main.go');
const mainURI = pathToFileURL(mainGo).href;

let server: ChildProcess;
let conn: ProtocolConnection;
let init: InitializeResult;
const statuses: Status[] = [];
const logs: string[] = [];
const diagnostics = new Map<string, Diagnostic[]>();

/** Polls cond until it returns a value, or rejects after wait ms. */
async function until<T>(what: string, cond: () => T | undefined | false): Promise<T> {
  const end = Date.now() + wait;
  for (;;) {
    const v = cond();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${wait} ms waiting for ${what}; last status ${JSON.stringify(statuses.at(-1))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function binary(): string {
  if (process.env.GINHOTD_BIN) return process.env.GINHOTD_BIN;
  const bin = path.join(tmp, 'ginhotd');
  execFileSync('go', ['build', '-o', bin, './cmd/ginhotd'], { cwd: repo, stdio: 'inherit', timeout: 10 * 60 * 1000 });
  return bin;
}

function execute<T>(command: string, ...args: unknown[]): Promise<T> {
  return conn.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }) as Promise<T>;
}

async function get(url: string): Promise<string> {
  const r = await fetch(url, { signal: AbortSignal.timeout(10000) });
  return r.text();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function save(file: string, text: string): Promise<void> {
  writeFileSync(file, text);
  return conn.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri: pathToFileURL(file).href } });
}

before(async () => {
  cpSync(path.join(repo, 'editors/testdata/app'), app, { recursive: true });
  const gocache = execFileSync('go', ['env', 'GOCACHE']).toString().trim();
  mkdirSync(path.join(tmp, 'xdg'));
  server = spawn(binary(), ['--stdio'], {
    cwd: app,
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
    env: { ...process.env, GOCACHE: gocache, GOPROXY: 'off', XDG_CACHE_HOME: path.join(tmp, 'xdg'), XDG_STATE_HOME: path.join(tmp, 'xdg') },
  });
  conn = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  conn.onNotification(statusNotification, (s: Status) => {
    statuses.push(s);
  });
  conn.onNotification(LogMessageNotification.type, (p) => {
    logs.push(p.message);
  });
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    diagnostics.set(path.resolve(fileURLToPath(p.uri)), p.diagnostics);
  });
  conn.listen();
  const settings = { path: 'ginhotd', args: [], env: {}, addr: '127.0.0.1:0', targets: [], proxy: null, liveReload: false, diagnostics: 'auto' as const, debug: null };
  init = await conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: pathToFileURL(app).href,
    workspaceFolders: [{ uri: pathToFileURL(app).href, name: 'app' }],
    capabilities: {
      textDocument: { synchronization: { didSave: true }, publishDiagnostics: {} },
      workspace: { workspaceFolders: true, executeCommand: {} },
    },
    initializationOptions: initializationOptions(settings, false),
  });
  await conn.sendNotification(InitializedNotification.type, {});
});

after(async () => {
  if (server.exitCode === null && server.signalCode === null) {
    try {
      process.kill(-server.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  conn?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test('initialize advertises open/close and save sync and the ginhot commands', () => {
  assert.equal(init.serverInfo?.name, 'ginhotd');
  const sync = init.capabilities.textDocumentSync;
  assert.ok(typeof sync === 'object' && sync.openClose && sync.save, JSON.stringify(sync));
  assert.deepEqual([...(init.capabilities.executeCommandProvider?.commands ?? [])].sort(), Object.values(serverCommands).sort());
});

let url = '';
let firstGeneration = 0;

test('the app is built and runs; ginhot/status says where; its output arrives as window/logMessage', async () => {
  const s = await until('status running', () => statuses.find((x) => x.state === 'running'));
  assert.equal(path.resolve(s.root), path.resolve(app));
  const t = s.targets[0];
  assert.ok(t.pid && t.pid > 0 && t.url && t.generation >= 1, JSON.stringify(t));
  url = t.url!;
  firstGeneration = t.generation;
  assert.equal(await get(url), 'v1');
  await until('the app output line', () => logs.some((l) => l.includes('fixture app listening, mode debug')));
});

let errorLine = -1;

test('a compile error is a diagnostic at its line; the running version keeps serving', async () => {
  const text = readFileSync(mainGo, 'utf8');
  await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: mainURI, languageId: 'go', version: 1, text } });
  const broken = text.replace('fmt.Fprint(w, msg.Text)', 'fmt.Fprint(w, msg.Missing)');
  assert.notEqual(broken, text);
  errorLine = broken.split('\n').findIndex((l) => l.includes('msg.Missing'));
  const seen = statuses.length;
  await save(mainGo, broken);
  const got = await until('a diagnostic on main.go', () => {
    const d = diagnostics.get(mainGo);
    return d && d.length > 0 ? d : undefined;
  });
  const d = got[0];
  assert.equal(d.source, 'go build');
  assert.equal(d.range.start.line, errorLine, JSON.stringify(d));
  assert.match(d.message, /Missing/);
  await until('status failed', () => statuses.slice(seen).some((x) => x.state === 'failed'));
  assert.equal(await get(url), 'v1', 'the last good version still serves');
});

test('fixing the error clears the diagnostic; the content of the serving version keeps it serving', async () => {
  const text = readFileSync(mainGo, 'utf8').replace('msg.Missing', 'msg.Text');
  const seen = statuses.length;
  await save(mainGo, text);
  await until('main.go diagnostics cleared', () => diagnostics.get(mainGo)?.length === 0);
  // The fix restores what the serving version was built from: no build, no new generation.
  const s = await until('running again', () => statuses.slice(seen).find((x) => x.state === 'running' && x.targets[0].serving));
  assert.equal(s.targets[0].generation, firstGeneration);
  assert.equal(await get(s.targets[0].url!), 'v1');
});

test('ginhot.explain says why a file does or does not reach the app', async () => {
  const none = await execute<Explanation>(serverCommands.explain, pathToFileURL(path.join(app, 'unused/unused.go')).href);
  assert.equal(none.decision, 'none', JSON.stringify(none));
  assert.deepEqual(none.targets ?? [], []);
  const rebuild = await execute<Explanation>(serverCommands.explain, pathToFileURL(path.join(app, 'msg/msg.go')).href);
  assert.equal(rebuild.decision, 'rebuild', JSON.stringify(rebuild));
  assert.equal(rebuild.targets.length, 1);
  assert.ok(rebuild.reason.length > 0);
});

test('ginhot.stop and ginhot.start act on the app; ginhot.status answers', async () => {
  const before = await execute<Status>(serverCommands.status);
  const pid = before.targets[0].pid!;
  assert.ok(alive(pid));
  await execute(serverCommands.stop);
  await until('stopped', () => statuses.at(-1)?.state === 'stopped' && statuses.at(-1));
  assert.equal((await execute<Status>(serverCommands.status)).state, 'stopped');
  await until(`app pid ${pid} gone`, () => !alive(pid));
  await execute(serverCommands.start);
  const s = await until('running after start', () => statuses.at(-1)?.state === 'running' && statuses.at(-1));
  assert.equal(await get(s.targets[0].url!), 'v1');
});

test('shutdown and exit end the daemon and its app', async () => {
  const pid = (await execute<Status>(serverCommands.status)).targets[0].pid!;
  await conn.sendRequest(ShutdownRequest.type);
  await conn.sendNotification(ExitNotification.type);
  const code = await new Promise<number | null>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('ginhotd still runs 10 s after exit')), 10000);
    server.once('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
    if (server.exitCode !== null) resolve(server.exitCode);
  });
  assert.equal(code, 0);
  await until(`app pid ${pid} gone after the daemon`, () => !alive(pid));
});
