import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, beforeEach, test } from 'node:test';
import { findServer, goplsEnabled, initializationOptions, readSettings, Settings } from '../../src/config';
import * as stub from '../stub/vscode';

const defaults: Settings = { path: 'ginhotd', args: [], env: {}, addr: '', targets: [], proxy: null, liveReload: null, diagnostics: 'auto', debug: null };

beforeEach(() => stub.reset());

test('readSettings: defaults, then every setting', () => {
  assert.deepEqual(readSettings(), defaults);
  stub.changeSettings({
    'ginhot.path': '/opt/bin/ginhotd',
    'ginhot.args': ['--config', 'dev.toml'],
    'ginhot.env': { GOFLAGS: '-tags=dev' },
    'ginhot.addr': '127.0.0.1:9000',
    'ginhot.targets': ['./cmd/api'],
    'ginhot.proxy': false,
    'ginhot.liveReload': true,
    'ginhot.diagnostics': 'complement',
    'ginhot.debug': true,
  });
  assert.deepEqual(readSettings(), {
    path: '/opt/bin/ginhotd',
    args: ['--config', 'dev.toml'],
    env: { GOFLAGS: '-tags=dev' },
    addr: '127.0.0.1:9000',
    targets: ['./cmd/api'],
    proxy: false,
    liveReload: true,
    diagnostics: 'complement',
    debug: true,
  });
  stub.changeSettings({ 'ginhot.path': '' });
  assert.equal(readSettings().path, 'ginhotd', 'an empty path means the default');
});

test('initializationOptions: unset settings are left to ginhot.toml', () => {
  assert.deepEqual(initializationOptions(defaults, false), { diagnostics: 'all' });
});

test('initializationOptions: settings become snake_case config keys', () => {
  const s: Settings = { ...defaults, addr: '127.0.0.1:0', targets: ['./cmd/api', './cmd/admin'], proxy: false, liveReload: false, diagnostics: 'all', debug: true };
  assert.deepEqual(initializationOptions(s, true), {
    addr: '127.0.0.1:0',
    targets: ['./cmd/api', './cmd/admin'],
    proxy: false,
    live_reload: false,
    diagnostics: 'all',
    debug: true,
  });
});

test('diagnostics auto: complement only when gopls is on', () => {
  assert.equal(initializationOptions(defaults, true).diagnostics, 'complement');
  assert.equal(initializationOptions(defaults, false).diagnostics, 'all');
  assert.equal(initializationOptions({ ...defaults, diagnostics: 'complement' }, false).diagnostics, 'complement');
  assert.equal(goplsEnabled(), false, 'no Go extension');
  stub.rec.extensions.add('golang.go');
  assert.equal(goplsEnabled(), true);
  stub.changeSettings({ 'go.useLanguageServer': false });
  assert.equal(goplsEnabled(), false, 'Go extension with gopls turned off');
});

const tmp = mkdtempSync(path.join(tmpdir(), 'ginhot-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function file(rel: string, mode: number): string {
  const p = path.join(tmp, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, '#!/bin/sh\n');
  chmodSync(p, mode);
  return p;
}

test('findServer: PATH in order, skipping files that are not executable', async () => {
  file('a/ginhotd', 0o644);
  const b = file('b/ginhotd', 0o755);
  file('c/ginhotd', 0o755);
  const env = { PATH: [path.join(tmp, 'a'), path.join(tmp, 'b'), path.join(tmp, 'c')].join(path.delimiter), GOENV: 'off' };
  assert.equal(await findServer('ginhotd', env, tmp), b);
});

test('findServer: a path is resolved against the workspace, a missing one is undefined', async () => {
  const p = file('ws/bin/ginhotd', 0o755);
  assert.equal(await findServer('./bin/ginhotd', {}, path.join(tmp, 'ws')), p);
  assert.equal(await findServer(p, {}, '/'), p);
  assert.equal(await findServer('./bin/nothere', {}, path.join(tmp, 'ws')), undefined);
  assert.equal(await findServer(path.join(tmp, 'ws', 'bin'), {}, '/'), undefined, 'a directory is no executable');
});

test('findServer: falls back to $(go env GOPATH)/bin, asking the real go', async () => {
  const gopath = path.join(tmp, 'gopath');
  const p = file('gopath/bin/ginhotd', 0o755);
  const goDir = path.dirname(execFileSync('sh', ['-c', 'command -v go']).toString().trim());
  const env = { ...process.env, PATH: goDir, GOPATH: gopath, GOBIN: '', GOENV: 'off' };
  assert.equal(await findServer('ginhotd-not-anywhere', env, tmp), undefined);
  assert.equal(await findServer('ginhotd', env, tmp), p);
});

test('findServer: without go on PATH there is no fallback', async () => {
  file('gopath2/bin/ginhotd', 0o755);
  assert.equal(await findServer('ginhotd', { PATH: path.join(tmp, 'empty'), GOPATH: path.join(tmp, 'gopath2') }, tmp), undefined);
});
