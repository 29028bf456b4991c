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

const icons: Record<State, string> = {
  idle: '$(circle-outline)',
  building: '$(sync~spin)',
  starting: '$(sync~spin)',
  running: '$(check)',
  failed: '$(error)',
  crashed: '$(flame)',
  stopped: '$(debug-stop)',
};

const clicks: Record<State, [command: string, hint: string]> = {
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
  const [command, hint] = clicks[s.state] ?? clicks.idle;
  const lines = [`**ginhotd** ${s.state} in \`${s.root}\``, ''];
  for (const t of s.targets) lines.push(`- ${targetLine(t)}`);
  if (s.targets.length === 0) lines.push('- no target: no main package imports Gin');
  if (s.watch) lines.push('', `Watching: ${s.watch}`);
  lines.push('', hint);
  let text = `${icons[s.state] ?? '$(question)'} GinHot: ${label(s)}`;
  if (s.state === 'running' && s.targets.some((t) => t.prepared)) text += ` ${preparedMark}`;
  const view: View = { state: s.state, text, tooltip: lines.join('\n'), command };
  if (s.state === 'failed' || s.state === 'crashed') view.background = 'error';
  return view;
}

/**
 * The status text's suffix while a serving version was prepared before its
 * save (built from the editor's buffers while the user paused).
 */
export const preparedMark = '$(zap) prepared';

function label(s: Status): string {
  switch (s.state) {
    case 'running': {
      const urls = appURLs(s);
      if (urls.length === 0) return 'running';
      const host = urls[0].replace(/^https?:\/\//, '').replace(/\/$/, '');
      return urls.length > 1 ? `${host} +${urls.length - 1}` : host;
    }
    case 'failed':
      return withServing('build failed', failing(s));
    case 'crashed': {
      const t = failing(s);
      return t?.serving === false && !t.generation ? 'start failed — nothing running yet' : 'crashed';
    }
    default:
      return s.state;
  }
}

/** Returns the target the session's failed or crashed state comes from. */
function failing(s: Status): TargetStatus | undefined {
  return s.targets.find((t) => t.state === s.state) ?? s.targets[0];
}

/**
 * Appends to text what serves while t is failed: the last good generation,
 * or nothing (yet). Daemons that do not report `serving` get text alone.
 */
function withServing(text: string, t: TargetStatus | undefined): string {
  if (t?.serving === undefined) return text;
  if (t.serving) return `${text} — serving generation ${t.generation}`;
  return t.generation ? `${text} — nothing running` : `${text} — nothing running yet`;
}

function targetLine(t: TargetStatus): string {
  const parts = [`\`${t.name || t.package}\` ${t.state}`];
  if (t.pid) parts.push(`pid ${t.pid}`);
  if (t.generation) parts.push(`generation ${t.generation}`);
  if (t.buildMs) parts.push(`last build ${formatMs(t.buildMs)}`);
  if (t.url) parts.push(t.url);
  if (t.prepared && t.serving !== false) parts.push('$(zap) prepared from the editor\'s buffers before the save');
  if ((t.state === 'failed' || t.state === 'crashed') && t.serving !== undefined) {
    if (t.serving) parts.push(`generation ${t.generation} keeps serving`);
    else parts.push(t.generation ? 'no version is serving' : 'no version has run yet');
  }
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
