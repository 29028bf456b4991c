// Packaging test: `npm run package` (vsce) yields a .vsix that holds the
// bundled extension and the Marketplace files, and no node_modules tree.
// GINHOT_VSIX names an already built .vsix to check instead.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { inflateRawSync } from 'node:zlib';

const root = path.resolve(__dirname, '../../..');

/** Reads a zip's central directory: each entry's name and its data. */
function unzip(zip: Buffer): Map<string, () => Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'not a zip file');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const entries = new Map<string, () => Buffer>();
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(p), 0x02014b50, 'central directory entry');
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    entries.set(name, () => {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return method === 8 ? inflateRawSync(data) : Buffer.from(data);
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

test('the .vsix holds the bundle, the manifest, icon, README and LICENSE, and no node_modules', () => {
  let vsix = process.env.GINHOT_VSIX;
  if (!vsix) {
    execFileSync('npm', ['run', 'package'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], timeout: 5 * 60 * 1000 });
    vsix = path.join(root, 'ginhot.vsix');
  }
  const entries = unzip(readFileSync(vsix));
  const names = [...entries.keys()].sort();
  for (const want of ['extension.vsixmanifest', 'extension/package.json', 'extension/dist/extension.js', 'extension/media/icon.png', 'extension/readme.md', 'extension/changelog.md', 'extension/LICENSE.txt']) {
    assert.ok(names.includes(want), `${want} missing from ${names.join(', ')}`);
  }
  assert.deepEqual(names.filter((n) => n.includes('node_modules') || /\.(ts|map)$/.test(n) || n.includes('/test/') || n.includes('/src/')), []);
  const pkg = JSON.parse(entries.get('extension/package.json')!().toString());
  assert.equal(pkg.main, './dist/extension.js');
  const bundle = entries.get('extension/dist/extension.js')!().toString();
  assert.match(bundle, /require\("vscode"\)/, 'vscode stays external');
  assert.doesNotMatch(bundle, /require\("vscode-languageclient/, 'the language client is bundled, not required');
  assert.match(bundle, /ginhot\/status/);
  const manifest = entries.get('extension.vsixmanifest')!().toString();
  assert.match(manifest, /Id="ginhot"/);
  assert.match(manifest, /Publisher="ginhotd"/);
});
