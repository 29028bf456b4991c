// Debugging across reloads: a `ginhot` debug type whose adapter is Delve
// itself (DAP on the port ginhotd announces per version), and a follower
// that re-attaches whenever a new version brings a new debug address.
import * as vscode from 'vscode';
import type { Status, TargetStatus } from './protocol';

/** The debug configuration type the extension contributes. */
export const debugType = 'ginhot';

/** A version's Delve address, and the target it belongs to. */
export interface DebugAddress {
  target: string;
  host: string;
  port: number;
}

/**
 * Returns where to attach: the debug address of target (by name or
 * package), else of the first target that has one. Addresses look like
 * "127.0.0.1:40123" or "[::1]:40123".
 */
export function debugAddress(st: Status | undefined, target?: string): DebugAddress | undefined {
  const has = (t: TargetStatus) => typeof t.debug === 'string' && t.debug !== '';
  const ts = st?.targets.filter(has) ?? [];
  const t = target ? ts.find((x) => x.name === target || x.package === target) : ts[0];
  if (!t?.debug) return undefined;
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(t.debug);
  if (!m) return undefined;
  return { target: t.name, host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

/** The attach configuration for target: Delve in remote mode, no adapter of our own. */
export function attachConfig(target: string): vscode.DebugConfiguration {
  return { type: debugType, request: 'attach', mode: 'remote', name: `GinHot: ${target}`, target };
}

/** What the follower needs from the controller. */
export interface DebugHost {
  /** The last status of the workspace. */
  status(): Status | undefined;
  /** Runs the ginhot.debug command: on/off, or toggles when on is undefined. */
  setDebug(on?: boolean): Promise<unknown>;
  /** Records a debug session event in the test event log (attached, stopped, frame, continued, ended). */
  record?(event: string, data: Record<string, unknown>): void;
}

/** The parts of the DAP messages the follower reads. */
interface DapMessage {
  type?: string;
  event?: string;
  command?: string;
  success?: boolean;
  body?: {
    reason?: string;
    stackFrames?: { name?: string; line?: number; source?: { path?: string } }[];
    breakpoints?: { verified?: boolean; line?: number }[];
  };
}

/**
 * DebugFollower keeps a `ginhot` debug session attached to the current
 * version. A new debug address (a new version) re-attaches, but only once
 * the user is not halted at a breakpoint: the old version keeps its held
 * requests until the user continues.
 */
export class DebugFollower implements vscode.DebugAdapterDescriptorFactory, vscode.Disposable {
  private readonly bar: vscode.StatusBarItem;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** The session we started and still want; undefined when not debugging. */
  private session: vscode.DebugSession | undefined;
  /** The address session is attached to. */
  private attached: DebugAddress | undefined;
  /** The target being debugged while the user wants to debug. */
  private wanted: string | undefined;
  /** The session is halted (a stopped event without a continue since). */
  private halted = false;
  /** Sessions ended by a re-attach, whose end is no reason to stop following. */
  private readonly replaced = new WeakSet<vscode.DebugSession>();
  private busy = false;
  /** Sessions that stopped and whose top frame is not recorded yet. */
  private readonly frameWanted = new WeakSet<vscode.DebugSession>();

  constructor(
    private readonly host: DebugHost,
    private readonly folder: () => vscode.WorkspaceFolder | undefined,
  ) {
    this.bar = vscode.window.createStatusBarItem('ginhot.debug', vscode.StatusBarAlignment.Left, 99);
    this.bar.name = 'GinHot Debug';
    this.bar.text = '$(bug) GinHot';
    this.bar.command = 'workbench.action.debug.stop';
    this.subscriptions.push(
      this.bar,
      vscode.debug.registerDebugAdapterDescriptorFactory(debugType, this),
      vscode.debug.registerDebugAdapterTrackerFactory(debugType, { createDebugAdapterTracker: (s) => this.tracker(s) }),
      vscode.debug.onDidStartDebugSession((s) => this.started(s)),
      vscode.debug.onDidTerminateDebugSession((s) => this.terminated(s)),
    );
  }

  /** The "GinHot: Debug App" command: debug mode on, attach to the current version. */
  async debugApp(target?: string): Promise<void> {
    const addr = debugAddress(this.host.status(), target);
    this.wanted = addr?.target ?? target ?? '';
    if (!addr) {
      // The next version is built for debugging; onStatus attaches to it.
      await this.host.setDebug(true);
      void vscode.window.showInformationMessage('GinHot: rebuilding the app for debugging; the debugger attaches when it is ready.');
      return;
    }
    await this.attach(addr);
  }

  /** Follows a new status: attaches when a new debug address appears. */
  onStatus(st: Status): void {
    if (this.wanted === undefined) return;
    const addr = debugAddress(st, this.wanted || undefined);
    if (!addr) return;
    if (this.attached && this.attached.host === addr.host && this.attached.port === addr.port && this.session) return;
    if (this.halted) return; // re-attached once the user continues
    void this.attach(addr);
  }

  /** Returns Delve's DAP server for the session's target. */
  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    const target = typeof session.configuration.target === 'string' ? session.configuration.target : undefined;
    const addr = debugAddress(this.host.status(), target);
    if (!addr) {
      throw new Error('GinHot: no version runs in debug mode; run "GinHot: Debug App" first.');
    }
    this.attached = addr;
    return new vscode.DebugAdapterServer(addr.port, addr.host);
  }

  dispose(): void {
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }

  /** Stops the session we hold, then starts one on addr, saving nothing. */
  private async attach(addr: DebugAddress): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const old = this.session;
      if (old) {
        this.replaced.add(old);
        this.session = undefined;
        await vscode.debug.stopDebugging(old);
      }
      this.halted = false;
      this.attached = addr;
      await vscode.debug.startDebugging(this.folder(), attachConfig(addr.target), { suppressSaveBeforeStart: true });
    } finally {
      this.busy = false;
    }
    // A status that came in while attaching may name a newer version.
    const st = this.host.status();
    if (st) this.onStatus(st);
  }

  private started(s: vscode.DebugSession): void {
    if (s.type !== debugType) return;
    this.session = s;
    this.record('debug-attached', s, { target: s.configuration.target, addr: this.attached && `${this.attached.host}:${this.attached.port}` });
    if (this.wanted === undefined) this.wanted = typeof s.configuration.target === 'string' ? s.configuration.target : '';
    this.bar.tooltip = `Debugging ${s.configuration.target ?? 'the app'} across reloads (Delve at ${this.attached?.host}:${this.attached?.port}). Click to stop.`;
    this.bar.show();
  }

  private terminated(s: vscode.DebugSession): void {
    if (s.type !== debugType) return;
    this.record('debug-ended', s, { replaced: this.replaced.has(s) });
    if (this.replaced.has(s)) return;
    if (s !== this.session && this.session) return;
    this.session = undefined;
    this.halted = false;
    // Ended because its version was retired: follow the current one. Ended
    // with its version still current: the user stopped debugging.
    const cur = debugAddress(this.host.status(), this.wanted || undefined);
    const retired = cur && this.attached && (cur.host !== this.attached.host || cur.port !== this.attached.port);
    if (retired && cur) {
      void this.attach(cur);
      return;
    }
    this.wanted = undefined;
    this.attached = undefined;
    this.bar.hide();
  }

  /** Watches the session's messages for halts and continues. */
  private tracker(s: vscode.DebugSession): vscode.DebugAdapterTracker {
    return {
      onDidSendMessage: (m: DapMessage) => {
        this.recordMessage(s, m);
        if (s !== this.session) return;
        if (m.type === 'event' && m.event === 'stopped') this.halted = true;
        // Steps halt again at once; only a continue lets the held requests go.
        const resumed = (m.type === 'event' && m.event === 'continued') || (m.type === 'response' && m.success === true && m.command === 'continue');
        if (resumed && this.halted) {
          this.halted = false;
          const st = this.host.status();
          if (st) this.onStatus(st);
        }
      },
    };
  }

  /** Records breakpoints set, halts, the frame each halts at, and continues. */
  private recordMessage(s: vscode.DebugSession, m: DapMessage): void {
    if (!this.host.record) return;
    if (m.type === 'event' && m.event === 'stopped') {
      this.frameWanted.add(s);
      this.record('debug-stopped', s, { reason: m.body?.reason });
    } else if (m.type === 'event' && m.event === 'continued') {
      this.record('debug-continued', s, {});
    } else if (m.type === 'response' && m.success === true && m.command === 'continue') {
      this.record('debug-continued', s, {});
    } else if (m.type === 'response' && m.success === true && m.command === 'setBreakpoints') {
      const bps = m.body?.breakpoints ?? [];
      this.record('debug-breakpoints', s, { verified: bps.filter((b) => b.verified).map((b) => b.line) });
    } else if (m.type === 'response' && m.command === 'stackTrace' && this.frameWanted.has(s)) {
      const top = m.body?.stackFrames?.[0];
      if (!top) return;
      this.frameWanted.delete(s);
      this.record('debug-frame', s, { function: top.name, file: top.source?.path, line: top.line });
    }
  }

  private record(event: string, s: vscode.DebugSession, data: Record<string, unknown>): void {
    this.host.record?.(event, { session: s.id, ...data });
  }
}
