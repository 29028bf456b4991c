// The extension against docs/contract.json, which `go generate ./daemon/lsp`
// writes from the daemon's definitions: a command renamed or added there,
// or a new state, fails here until the extension handles it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { serverCommands, State, Status, statusNotification } from '../../src/protocol';
import { preparedMark, render, stateClicks, stateIcons } from '../../src/status';

interface Contract {
  notification: string;
  commands: { name: string }[];
  states: { name: State }[];
  status: { name: string }[];
  target: { name: string }[];
  examples: Status[];
}

const contract: Contract = JSON.parse(readFileSync(path.resolve(__dirname, '../../../../docs/contract.json'), 'utf8'));
const states = contract.states.map((s) => s.name).sort();

test('the extension runs exactly the commands of the contract', () => {
  assert.deepEqual(Object.values(serverCommands).sort(), contract.commands.map((c) => c.name).sort());
});

test('the status notification is the contract\'s', () => {
  assert.equal(statusNotification, contract.notification);
});

test('every state of the contract has an icon and a click, and no other state has one', () => {
  assert.deepEqual(Object.keys(stateIcons).sort(), states);
  assert.deepEqual(Object.keys(stateClicks).sort(), states);
});

test('the fields the status bar shows are in the contract', () => {
  for (const f of ['state', 'root', 'targets', 'label', 'prepared']) assert.ok(contract.status.some((x) => x.name === f), `status.${f}`);
  for (const f of ['name', 'package', 'state', 'pid', 'generation', 'buildMs', 'url', 'note', 'error', 'debug']) {
    assert.ok(contract.target.some((x) => x.name === f), `targets[].${f}`);
  }
});

test('the status bar shows the label and notes of every example of the contract', () => {
  assert.ok(contract.examples.length > 0);
  for (const s of contract.examples) {
    const v = render({ kind: 'status', status: s });
    assert.equal(v.text, `${stateIcons[s.state]} GinHot: ${s.label}${s.prepared ? ` ${preparedMark}` : ''}`);
    for (const t of s.targets) if (t.note) assert.ok(v.tooltip.includes(t.note), `${s.label}: tooltip lacks ${t.note}`);
  }
});
