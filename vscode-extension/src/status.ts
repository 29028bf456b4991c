// The status bar item: a pure mapping from what the daemon reports to what
// the item shows ([render]), and the thin wrapper that applies it ([StatusBar]).
import * as vscode from 'vscode';
import { State, Status, TargetStatus } from './protocol';

/** What the extension knows about the daemon at one moment. */
export type Phase =
  | { kind: 'launching' }
  | { kind: 'missing'; path: string }
  | { kind: 'off'; reason: string }
  | { kind: 'status'; status: Status };

/** What the status bar item shows for a [Phase]. */
export interface View {
  /** The state name, as the event log records it ("running", "missing", …). */
  state: State | 'launching' | 'missing' | 'off';
  text: string;
  /** Markdown. */
  tooltip: string;
  /** The command a click runs. */
  command: string;
  background?: 'error' | 'warning';
}

/** The status bar icon of each state. */
export const stateIcons: Record<State, string> = {
  idle: '$(circle-outline)',
  building: '$(sync~spin)',
  starting: '$(sync~spin)',
  running: '$(check)',
  failed: '$(error)',
  crashed: '$(flame)',
  stopped: '$(debug-stop)',
};

/** What a click on the status bar item runs in each state, and the tooltip's hint. */
export const stateClicks: Record<State, [command: string, hint: string]> = {
  idle: ['ginhot.showOutput', 'Click to show the app output.'],
  building: ['ginhot.showOutput', 'Click to show the app output.'],
  starting: ['ginhot.showOutput', 'Click to show the app output.'],
  running: ['ginhot.openApp', 'Click to open the app in the browser.'],
  failed: ['workbench.actions.view.problems', 'Click to show the Problems panel.'],
  crashed: ['ginhot.showOutput', 'Click to show the app output.'],
  stopped: ['ginhot.startApp', 'Click to start the app.'],
};

/** Returns what the status bar item shows for phase. */
export function render(phase: Phase): View {
  switch (phase.kind) {
    case 'launching':
      return { state: 'launching', text: '$(sync~spin) GinHot', tooltip: 'Starting ginhotd…', command: 'ginhot.showOutput' };
    case 'missing':
      return {
        state: 'missing',
        text: '$(warning) GinHot: ginhotd not found',
        tooltip: `\`${phase.path}\` was not found in PATH or in \`$(go env GOPATH)/bin\`.\n\nClick to install it or to restart the daemon.`,
        command: 'ginhot.restartDaemon',
        background: 'warning',
      };
    case 'off':
      return {
        state: 'off',
        text: '$(circle-slash) GinHot: off',
        tooltip: `ginhotd is not running: ${phase.reason}\n\nClick to restart the daemon.`,
        command: 'ginhot.restartDaemon',
        background: 'warning',
      };
    case 'status':
      return renderStatus(phase.status);
  }
}

function renderStatus(s: Status): View {
  const [command, hint] = stateClicks[s.state] ?? stateClicks.idle;
  const lines = [`**ginhotd** ${s.state} in \`${s.root}\``, ''];
  for (const t of s.targets) lines.push(`- ${targetLine(t)}`);
  if (s.targets.length === 0) lines.push('- no target: no main package imports Gin');
  if (s.watch) lines.push('', `Watching: ${s.watch}`);
  lines.push('', hint);
  let text = `${stateIcons[s.state] ?? '$(question)'} GinHot: ${s.label}`;
  if (s.prepared) text += ` ${preparedMark}`;
  const view: View = { state: s.state, text, tooltip: lines.join('\n'), command };
  if (s.state === 'failed' || s.state === 'crashed') view.background = 'error';
  return view;
}

/**
 * The status text's suffix while a serving version was prepared before its
 * save (built from the editor's buffers while the user paused).
 */
export const preparedMark = '$(zap) prepared';

function targetLine(t: TargetStatus): string {
  const parts = [`\`${t.name || t.package}\` ${t.state}`];
  if (t.pid) parts.push(`pid ${t.pid}`);
  if (t.generation) parts.push(`generation ${t.generation}`);
  if (t.buildMs) parts.push(`last build ${formatMs(t.buildMs)}`);
  if (t.url) parts.push(t.url);
  if (t.note) parts.push(t.note);
  let line = parts.join(' · ');
  if (t.error) line += `\n  \n  ${t.error.split('\n')[0]}`;
  return line;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Returns the URLs the targets serve at, in the daemon's order. */
export function appURLs(s: Status | undefined): string[] {
  return (s?.targets ?? []).flatMap((t) => (t.url ? [t.url] : []));
}

/** StatusBar owns the one status bar item and applies a [View] to it. */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('ginhot.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'GinHot';
  }

  /** Shows view and returns it. */
  show(view: View): View {
    this.item.text = view.text;
    const md = new vscode.MarkdownString(view.tooltip, true);
    this.item.tooltip = md;
    this.item.command = view.command;
    this.item.backgroundColor = view.background ? new vscode.ThemeColor(`statusBarItem.${view.background}Background`) : undefined;
    this.item.show();
    return view;
  }

  dispose(): void {
    this.item.dispose();
  }
}
