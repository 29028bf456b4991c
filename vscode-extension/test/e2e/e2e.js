// Drives code-server in headless Debian Chromium (playwright-core): opens the
// shop example, breaks internal/store/version.go, saves, and checks that the
// Problems panel has the error at its line and the status bar the failed
// state; restores it, saves, and checks the running state; runs "GinHot: Explain
// Current File". Then types a new Version, pauses until ginhotd has built the
// unsaved buffer, saves, and measures save → the app answering with it, with
// the status bar saying the version was prepared. Then (with Delve installed)
// sets a breakpoint in the /version handler, runs "GinHot: Debug App", hits the
// breakpoint, continues, and saves new Versions: each new version is
// re-attached by the extension alone and stops at the same breakpoint.
// Assertions read the JSONL event log the extension writes ($GINHOT_TEST_LOG),
// the DOM and the app's answers; screenshots go to OUT.
// usage: node e2e.js http://127.0.0.1:PORT WORKSPACE OUT
// env:   GINHOT_E2E_DEBUG_SAVES  saves in the debug part (default 3; 0 skips it)
'use strict';
const { chromium } = require('playwright-core');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const [base, folder, out] = process.argv.slice(2);
const LOG = process.env.GINHOT_TEST_LOG;
const file = path.join(folder, 'internal/store/version.go');
const fileURI = pathToFileURL(file).href;
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const events = () => (fs.existsSync(LOG) ? fs.readFileSync(LOG, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const since = (t) => events().filter((e) => e.t >= t);

async function until(what, pred, ms = 90000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function palette(page, title) {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(title);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 20000 });
  await page.keyboard.press('Enter');
}

const statusText = (page) => page.locator('.statusbar').innerText();

/** GETs url; resolves to the body of a 200, rejects otherwise. */
function get(url, ms = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: ms }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode} ${body.slice(0, 200)}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in ${ms} ms`)));
    req.on('error', reject);
  });
}

/** Opens a workspace file (its tab if it has one, else with Quick Open) and waits for its tab to be active. */
async function open(page, name) {
  const tab = page.locator(`.tab[aria-label*="${name}"]`);
  if ((await tab.count()) > 0) {
    await tab.first().click();
    await page.waitForSelector(`.tab.active[aria-label*="${name}"]`, { timeout: 20000 });
    return;
  }
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 20000 });
  await page.keyboard.press('Enter');
  await page.waitForSelector(`.tab.active[aria-label*="${name}"]`, { timeout: 20000 });
}

/** Puts the cursor at the start of the 1-based line. */
async function gotoLine(page, line) {
  await page.keyboard.press('Control+G');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(String(line));
  await page.keyboard.press('Enter');
}

/** Replaces version.go's text with text (one edit) and saves; returns when the save is recorded. */
async function replaceAndSave(page, text) {
  await page.waitForSelector('.tab.active[aria-label*="version.go"]', { timeout: 5000 });
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
  await until('the edit', () => page.locator('.tab.active.dirty').count().then((n) => n > 0), 20000);
  const t = Date.now();
  await page.keyboard.press('Control+S');
  await until('the save', () => since(t).some((e) => e.event === 'saved' && e.uri === fileURI), 20000);
  return t;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** The app's URL, from the status bar text the event log recorded last. */
function appURL() {
  const st = events().filter((e) => e.event === 'status' && e.state === 'running').pop();
  const m = st && /GinHot: (127\.0\.0\.1:\d+)/.exec(st.text);
  if (!m) throw new Error(`no app address in the status: ${JSON.stringify(st)}`);
  return `http://${m[1]}`;
}

/**
 * Issue 11: types a new Version key by key, pauses until ginhotd has built
 * the unsaved buffer, saves, and measures save → the app answering with it.
 */
async function prepared(page, original) {
  const url = appURL();
  const before = await get(`${url}/version`);
  const line = original.split('\n').findIndex((l) => l.startsWith('const Version')) + 1;
  const want = `${before}-typed`;
  await page.locator('.monaco-editor .view-lines').first().click();
  await gotoLine(page, line);
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft'); // before the closing quote
  let t = Date.now();
  for (const ch of '-typed') {
    await page.keyboard.insertText(ch);
    await page.waitForTimeout(80); // a typist's pace: each key is a didChange
  }
  const prep = await until('ginhotd to prepare the unsaved buffer', () => since(t).find((e) => e.event === 'daemon-log' && e.message.startsWith('ginhotd: prepared')), 60000);
  log(`${prep.message} (${prep.t - t} ms after the first key)`);
  if (fs.readFileSync(file, 'utf8') !== original) throw new Error('version.go changed on disk before the save');
  if ((await get(`${url}/version`)) !== before) throw new Error('the unsaved edit is served before the save');
  ok('the unsaved edit was built while typing paused, and is not served before the save');

  t = Date.now();
  await page.keyboard.press('Control+S');
  let served = 0;
  for (const end = Date.now() + 30000; ; ) {
    const body = await get(`${url}/version`).catch(() => '');
    if (body === want) {
      served = Date.now();
      break;
    }
    if (Date.now() > end) throw new Error(`the app did not answer ${want} within 30 s of the save`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const saveToServe = served - t;
  log(`MEASURE editor save (Ctrl+S) -> /version answers ${JSON.stringify(want)}: ${saveToServe} ms`);
  const okEv = await until('the build_ok line', () => since(t).find((e) => e.event === 'daemon-log' && /^ginhotd: (built |\S+: no build)/.test(e.message)), 20000);
  if (!okEv.message.includes("prepared from the editor's buffers")) throw new Error(`build_ok is no prepared version: ${okEv.message}`);
  ok(`the save served the prepared binary without a build: ${okEv.message}`);
  const st = await until('a status with the prepared mark', () => since(t).find((e) => e.event === 'status' && e.state === 'running' && e.text.includes('$(zap) prepared')), 20000);
  await until('the status bar to show "prepared"', async () => /GinHot: 127\.0\.0\.1:\d+\s*prepared/.test(await statusText(page)), 20000);
  ok(`status bar shows the version was prepared before the save: ${JSON.stringify(st.text)}`);
  // The page, as a user sees it.
  const app = await browser.newPage({ viewport: { width: 900, height: 600 } });
  await app.goto(url);
  const shown = await app.locator('body').innerText();
  if (!shown.includes(want)) throw new Error(`the page does not show ${want}: ${shown.slice(0, 300)}`);
  await app.screenshot({ path: path.join(out, 'app.png') });
  await app.close();
  ok(`the page shows ${want}`);
  await page.screenshot({ path: path.join(out, 'prepared.png') });
}

/** Reports whether Delve is installed where ginhotd looks (PATH). */
function haveDelve() {
  return spawnSync('dlv', ['version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Issue 13: a breakpoint in the /version handler, "GinHot: Debug App" once,
 * then each save brings a new version the extension re-attaches to by
 * itself, and the breakpoint stops each of them.
 */
async function debugAcrossReloads(page, original) {
  const saves = Number(process.env.GINHOT_E2E_DEBUG_SAVES ?? 3);
  if (saves <= 0) return log('skip debug: GINHOT_E2E_DEBUG_SAVES=0');
  if (!haveDelve()) {
    if (process.env.CI) throw new Error('dlv is not on PATH (go install github.com/go-delve/delve/cmd/dlv@v1.27.2)');
    return log('skip debug: dlv is not on PATH (go install github.com/go-delve/delve/cmd/dlv@v1.27.2)');
  }
  const url = appURL();
  const handlers = path.join(folder, 'internal/handlers/handlers.go');
  const bpLine = fs.readFileSync(handlers, 'utf8').split('\n').findIndex((l) => l.includes('c.String(http.StatusOK, store.Version)')) + 1;
  if (bpLine < 1) throw new Error('handlers.go: no /version handler line');
  await open(page, 'handlers.go');
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
  await gotoLine(page, bpLine);
  await page.keyboard.press('F9');
  await until('the breakpoint in the gutter', () => page.locator('.codicon-debug-breakpoint, .codicon-debug-breakpoint-unverified').count().then((n) => n > 0), 10000);
  ok(`breakpoint set at handlers.go:${bpLine}`);

  /** Sends GET /version, expects a halt at the breakpoint in session, continues, returns the answer. */
  const hit = async (session, label) => {
    const t = Date.now();
    const answer = get(`${url}/version`, 60000);
    answer.catch(() => {}); // awaited below
    const stop = await until(`the breakpoint hit (${label})`, () => since(t).find((e) => e.event === 'debug-stopped' && e.session === session), 30000);
    if (stop.reason !== 'breakpoint') throw new Error(`stopped for ${stop.reason}, want breakpoint`);
    const frame = await until('the stopped frame', () => since(t).find((e) => e.event === 'debug-frame' && e.session === session), 20000);
    if (path.basename(frame.file ?? '') !== 'handlers.go' || frame.line !== bpLine) throw new Error(`stopped at ${frame.file}:${frame.line}, want handlers.go:${bpLine}`);
    await until('the Call Stack to show the pause', () => page.locator('.debug-call-stack').innerText().then((s) => /paused on breakpoint/i.test(s), () => false), 20000);
    const held = await Promise.race([answer.then(() => 'answered', () => 'answered'), new Promise((r) => setTimeout(() => r('held'), 200))]);
    if (held !== 'held') throw new Error('the request was answered while the app is halted');
    await page.screenshot({ path: path.join(out, `debug-${label}.png`) });
    const tc = Date.now();
    await palette(page, 'Debug: Continue');
    await until('the continue', () => since(tc).some((e) => e.event === 'debug-continued' && e.session === session), 20000);
    const body = await answer;
    ok(`${label}: stopped at handlers.go:${bpLine} (${frame.function}), continued, answered ${JSON.stringify(body)}`);
    return body;
  };
  /** Waits for a session attached after t whose breakpoints Delve accepted. */
  const attached = async (t, what) => {
    const a = await until(what, () => since(t).find((e) => e.event === 'debug-attached'), 120000);
    await until('the breakpoint set in Delve', () => since(t).some((e) => e.event === 'debug-breakpoints' && e.session === a.session && e.verified.includes(bpLine)), 30000);
    return a;
  };

  let t = Date.now();
  await palette(page, 'GinHot: Debug App');
  let a = await attached(t, 'the debugger to attach to the first debug build');
  ok(`"GinHot: Debug App" attached to ${a.addr} in ${((Date.now() - t) / 1000).toFixed(1)} s (debug build + Delve)`);
  await until('the bug icon in the status bar', () => page.locator('.statusbar .codicon-bug').count().then((n) => n > 0), 10000);
  let body = await hit(a.session, 'attach');

  const reattach = [];
  for (let i = 1; i <= saves; i++) {
    await open(page, 'version.go'); // each halt brought handlers.go to the front
    const want = `v-debug-${i}`;
    const text = original.replace(/const Version = ".*"/, `const Version = "${want}"`);
    const prev = a;
    t = await replaceAndSave(page, text);
    a = await attached(t, `re-attach after save ${i}`);
    if (a.session === prev.session || a.addr === prev.addr) throw new Error(`save ${i}: no new session/address: ${JSON.stringify(a)}`);
    reattach.push(Date.now() - t);
    log(`save ${i}: re-attached to ${a.addr} ${Date.now() - t} ms after the save, without a user action`);
    body = await hit(a.session, `save-${i}`);
    if (body !== want) throw new Error(`save ${i}: answered ${body}, want ${want}`);
  }
  log(`MEASURE debug mode: save -> re-attached with the breakpoint set, median ${median(reattach)} ms over ${saves} saves (${reattach.join(', ')})`);
  await page.screenshot({ path: path.join(out, 'debug.png') });
  // An attach session's toolbar has Disconnect where a launch has Stop.
  await page.locator('.debug-toolbar .codicon-debug-disconnect, .debug-toolbar .codicon-debug-stop').first().click();
  await until('the debug session to end', () => events().some((e) => e.event === 'debug-ended' && e.session === a.session && !e.replaced), 20000);
  await until('the bug icon to go', () => page.locator('.statusbar .codicon-bug').count().then((n) => n === 0), 10000);
  ok('Disconnect in the debug toolbar ends the session, and the extension stops following');
}

let passed = 0;
/** The Chromium of the run; the app's page opens beside code-server's. */
let browser;
function ok(what) {
  passed++;
  log('ok  ', what);
}

(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // Keep every request on loopback: Chromium still calls Google hosts without the last two.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--proxy-server=http://127.0.0.1:9'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => log('pageerror', e.message.slice(0, 200)));
  try {
    await page.goto(`${base}/?folder=${encodeURIComponent(folder)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
    log('workbench loaded');
    await until('the extension to activate (workspaceContains:**/go.mod)', () => events().some((e) => e.event === 'activate'));
    const started = await until('the daemon to start', () => events().find((e) => e.event === 'started' || e.event === 'start-failed' || e.event === 'missing'));
    if (started.event !== 'started') throw new Error(`daemon did not start: ${JSON.stringify(started)}`);
    ok(`daemon started: ${JSON.stringify(started.serverInfo)} with ${JSON.stringify(started.initializationOptions)}`);
    await until('status running', () => events().some((e) => e.event === 'status' && e.state === 'running'));
    await until('the status bar to show the URL', async () => /GinHot: 127\.0\.0\.1:\d+/.test(await statusText(page)));
    ok('status bar shows the running URL');

    // Open the file with Quick Open.
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => {});
    await open(page, 'version.go');
    await page.locator('.monaco-editor .view-lines').first().click();
    ok('version.go open');

    // Break it: one edit at the end of the file, then save.
    const original = fs.readFileSync(file, 'utf8');
    const errorLine = original.split('\n').length + 1; // 1-based line of the inserted declaration
    await page.keyboard.press('Control+End');
    await page.keyboard.insertText('\nvar broken int = "not an int"\n');
    let t = Date.now();
    await page.keyboard.press('Control+S');
    await until('the save', () => since(t).some((e) => e.event === 'saved' && e.uri === fileURI));
    const diag = await until('a diagnostic on version.go', () =>
      since(t).find((e) => e.event === 'diagnostics' && e.uri === fileURI && e.items.length > 0));
    const item = diag.items[0];
    log('diagnostic:', JSON.stringify(item));
    if (item.line !== errorLine) throw new Error(`diagnostic at line ${item.line}, want ${errorLine}`);
    if (item.source !== 'go build') throw new Error(`diagnostic source ${item.source}, want go build`);
    ok(`Problems has the error at version.go:${item.line}: ${item.message}`);
    await until('status failed', () => since(t).some((e) => e.event === 'status' && e.state === 'failed'));
    await until('the status bar to show the failure', async () => /GinHot: build failed/.test(await statusText(page)));
    ok('status bar shows "build failed"');
    await page.keyboard.press('Control+Shift+M');
    await until('the Problems panel to list the error', async () => {
      const text = await page.locator('.markers-panel').innerText().catch(() => '');
      return text.includes('not an int') || text.includes('cannot use');
    }, 20000);
    ok('the Problems panel lists the error');
    await page.screenshot({ path: path.join(out, 'failed.png') });

    // Fix it: put the original text back (one edit), save.
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(original);
    await until('the edit', () => page.locator('.tab.dirty').count().then((n) => n > 0));
    t = Date.now();
    await page.keyboard.press('Control+S');
    await until('the file on disk fixed', () => fs.readFileSync(file, 'utf8') === original, 20000);
    await until('version.go diagnostics cleared', () => since(t).some((e) => e.event === 'diagnostics' && e.uri === fileURI && e.items.length === 0));
    ok('Problems cleared after the fix');
    await until('status running again', () => since(t).some((e) => e.event === 'status' && e.state === 'running'));
    await until('the status bar to show the URL again', async () => /GinHot: 127\.0\.0\.1:\d+/.test(await statusText(page)));
    ok('status bar back to the running URL');

    // Explain the current file.
    t = Date.now();
    await palette(page, 'GinHot: Explain Current File');
    const x = await until('the explanation', () => since(t).find((e) => e.event === 'explain'), 30000);
    if (x.uri !== fileURI || x.decision !== 'rebuild') throw new Error(`explain: ${JSON.stringify(x)}`);
    await until('the explanation notification', () => page.locator('.notifications-toasts').innerText().then((s) => s.includes('version.go: rebuild'), () => false), 20000);
    ok(`Explain Current File: ${x.reason}`);
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(out, 'explain.png') });

    await prepared(page, original);
    await debugAcrossReloads(page, original);

    await page.screenshot({ path: path.join(out, 'final.png') });
    log(`PASS, screenshots in ${out}`);
    console.log(`${passed} passed, 0 failed`);
  } catch (e) {
    await page.screenshot({ path: path.join(out, 'final.png') }).catch(() => {});
    log('FAIL', e.message, `(screenshot ${path.join(out, 'final.png')})`);
    console.log(`${passed} passed, 1 failed`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
