import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Status, TargetStatus } from '../../src/protocol';
import { appURLs, render } from '../../src/status';

const api: TargetStatus = { package: 'example.com/shop/cmd/api', name: './cmd/api', state: 'running', pid: 4120, url: 'http://127.0.0.1:8080', generation: 3, serving: true, buildMs: 1430 };

/** A status with the label the daemon sends: the URL while running, else the state. */
function status(state: Status['state'], ...targets: Partial<TargetStatus>[]): Status {
  return { state, root: '/src/shop', label: state === 'running' ? '127.0.0.1:8080' : state, targets: targets.map((t) => ({ ...api, ...t })) };
}

test('each daemon state has its icon, shows the label and has its click', () => {
  const cases: [Status, string, string, string | undefined][] = [
    [status('idle', { state: 'idle', pid: 0 }), '$(circle-outline) GinHot: idle', 'ginhot.showOutput', undefined],
    [status('building', { state: 'building' }), '$(sync~spin) GinHot: building', 'ginhot.showOutput', undefined],
    [status('starting', { state: 'starting' }), '$(sync~spin) GinHot: starting', 'ginhot.showOutput', undefined],
    [status('running', {}), '$(check) GinHot: 127.0.0.1:8080', 'ginhot.openApp', undefined],
    [status('failed', { state: 'failed', error: 'main.go:12:2: undefined: x' }), '$(error) GinHot: failed', 'workbench.actions.view.problems', 'error'],
    [status('crashed', { state: 'crashed' }), '$(flame) GinHot: crashed', 'ginhot.showOutput', 'error'],
    [status('stopped', { state: 'stopped', pid: 0 }), '$(debug-stop) GinHot: stopped', 'ginhot.startApp', undefined],
  ];
  for (const [s, text, command, background] of cases) {
    const v = render({ kind: 'status', status: s });
    assert.equal(v.state, s.state);
    assert.equal(v.text, text, s.state);
    assert.equal(v.command, command, s.state);
    assert.equal(v.background, background, s.state);
  }
});

test('the tooltip says how the daemon sees changes, polling included', () => {
  const s: Status = { ...status('running', {}), watch: 'inotify + polling ./ (fuse) every ~1.25s' };
  assert.match(render({ kind: 'status', status: s }).tooltip, /Watching: inotify \+ polling \.\/ \(fuse\) every ~1\.25s/);
  assert.doesNotMatch(render({ kind: 'status', status: status('running', {}) }).tooltip, /Watching/);
});

test('the tooltip lists every target with pid, generation, last build time and URL', () => {
  const v = render({
    kind: 'status',
    status: status('failed', {}, { name: './cmd/admin', state: 'failed', pid: 0, url: undefined, generation: 0, buildMs: 820, error: 'cmd/admin/main.go:7:9: undefined: y\nmore' }),
  });
  assert.match(v.tooltip, /`\.\/cmd\/api` running · pid 4120 · generation 3 · last build 1\.4 s · http:\/\/127\.0\.0\.1:8080/);
  assert.match(v.tooltip, /`\.\/cmd\/admin` failed · last build 820 ms\n/);
  assert.match(v.tooltip, /cmd\/admin\/main\.go:7:9: undefined: y/);
  assert.doesNotMatch(v.tooltip, /more/, 'only the first line of an error');
  assert.match(v.tooltip, /`\/src\/shop`/);
  assert.match(v.tooltip, /Problems panel/);
});

test('the label and the notes are the daemon\'s', () => {
  const s: Status = { ...status('failed', { state: 'failed', pid: 0, generation: 0, serving: false, note: 'no version has run yet' }), label: 'build failed — nothing running yet' };
  const v = render({ kind: 'status', status: s });
  assert.equal(v.text, '$(error) GinHot: build failed — nothing running yet');
  assert.match(v.tooltip, /`\.\/cmd\/api` failed · last build 1\.4 s · http:\/\/127\.0\.0\.1:8080 · no version has run yet/);
});

test('appURLs lists the targets\' URLs in order', () => {
  assert.deepEqual(appURLs(status('running', {}, { name: './cmd/admin', url: 'http://127.0.0.1:8081' })), ['http://127.0.0.1:8080', 'http://127.0.0.1:8081']);
  assert.deepEqual(appURLs(status('running', { url: undefined })), []);
  assert.deepEqual(appURLs(undefined), []);
});

test('no target says why', () => {
  assert.match(render({ kind: 'status', status: { state: 'idle', root: '/x', label: 'idle', targets: [] } }).tooltip, /no main package imports Gin/);
});

test('daemon phases: launching, binary missing, off', () => {
  assert.equal(render({ kind: 'launching' }).text, '$(sync~spin) GinHot');
  const missing = render({ kind: 'missing', path: 'ginhotd' });
  assert.equal(missing.text, '$(warning) GinHot: ginhotd not found');
  assert.equal(missing.command, 'ginhot.restartDaemon');
  assert.equal(missing.background, 'warning');
  const off = render({ kind: 'off', reason: 'ginhotd exited 5 times' });
  assert.equal(off.text, '$(circle-slash) GinHot: off');
  assert.match(off.tooltip, /exited 5 times/);
  assert.equal(off.command, 'ginhot.restartDaemon');
});

test('a version prepared from the editor buffers before its save is marked while it serves', () => {
  const note = "prepared from the editor's buffers before the save";
  const prepared = render({ kind: 'status', status: { ...status('running', { prepared: true, buildMs: 0, note }), prepared: true } });
  assert.equal(prepared.text, '$(check) GinHot: 127.0.0.1:8080 $(zap) prepared');
  assert.match(prepared.tooltip, /`\.\/cmd\/api` running · pid 4120 · generation 3 · http:\/\/127\.0\.0\.1:8080 · prepared from the editor's buffers before the save/);
  // The next version built after its save drops the mark.
  const v = render({ kind: 'status', status: status('running', {}) });
  assert.equal(v.text, '$(check) GinHot: 127.0.0.1:8080');
  assert.doesNotMatch(v.tooltip, /prepared/);
});
