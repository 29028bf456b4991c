// Drives code-server in headless Debian Chromium (playwright-core): opens the
// shop example, breaks internal/store/version.go, saves, and checks that the
// Problems panel has the error at its line and the status bar the failed
// state; restores it, saves, and checks the running state; runs "GinHot: Explain
// Current File". Assertions read the JSONL event log the extension writes
// ($GINHOT_TEST_LOG) and the DOM; screenshots go to OUT.
// usage: node e2e.js http://127.0.0.1:PORT WORKSPACE OUT
'use strict';
const { chromium } = require('playwright-core');
const fs = require('node:fs');
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

let passed = 0;
function ok(what) {
  passed++;
  log('ok  ', what);
}

(async () => {
  const browser = await chromium.launch({
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
    await page.keyboard.press('Control+P');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page.keyboard.type('version.go');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'version.go' }).first().waitFor({ timeout: 20000 });
    await page.keyboard.press('Enter');
    await page.waitForSelector('.tab[aria-label*="version.go"]', { timeout: 20000 });
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
