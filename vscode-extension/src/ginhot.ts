// The extension's state in one place: the daemon connection, the last
// status, the status bar item and the two output channels. Starting,
// stopping and restarting the daemon are serialized by one mutex.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findServer, goplsEnabled, initializationOptions, readSettings } from './config';
import { DebugFollower } from './debug';
import type { Daemon, StartDaemon } from './daemon';
import { EventLog } from './eventlog';
import { Mutex } from './mutex';
import { Explanation, installPackage, serverCommands, Status } from './protocol';
import { appURLs, Phase, render, StatusBar } from './status';

/** The settings whose change restarts the daemon. */
export const restartKeys = ['path', 'args', 'env', 'addr', 'targets', 'proxy', 'liveReload', 'diagnostics'];

/** The app commands the daemon runs on all targets, or on the one given. */
export type AppCommand = 'restart' | 'rebuild' | 'stop' | 'start';

/** Ginhot is the extension's controller. */
export class Ginhot implements vscode.Disposable {
  /** The app's output (window/logMessage). */
  readonly app: vscode.OutputChannel;
  /** The daemon's stderr and the LSP trace. */
  readonly daemonOut: vscode.LogOutputChannel;
  private readonly bar: StatusBar;
  /** Keeps a ginhot debug session on the current version. */
  readonly debug: DebugFollower;
  private readonly lock = new Mutex();
  private readonly subscriptions: vscode.Disposable[] = [];
  private daemon: Daemon | undefined;
  /** The last status of each workspace root the daemon serves, by root. */
  private readonly statuses = new Map<string, Status>();
  private latestRoot = '';
  /** Counts daemon starts, so events from a replaced daemon are dropped. */
  private session = 0;

  constructor(
    private readonly startDaemon: StartDaemon,
    readonly events: EventLog,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.app = vscode.window.createOutputChannel('GinHot App');
    this.daemonOut = vscode.window.createOutputChannel('GinHot Daemon', { log: true });
    this.bar = new StatusBar();
    this.debug = new DebugFollower(
      { status: () => this.lastStatus, setDebug: (on) => this.setDebug(on), record: (event, data) => this.events.write(event, data) },
      () => vscode.workspace.workspaceFolders?.[0],
    );
    this.subscriptions.push(
      this.app,
      this.daemonOut,
      this.bar,
      this.debug,
      vscode.window.onDidChangeActiveTextEditor(() => {
        if (this.statuses.size > 1) this.showStatus();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        // ginhot.trace.server is applied by the language client as it changes.
        const keys = [...restartKeys.map((k) => `ginhot.${k}`), 'go.useLanguageServer'];
        if (keys.some((k) => e.affectsConfiguration(k))) void this.restart();
        else if (e.affectsConfiguration('ginhot.debug')) {
          const on = readSettings(vscode.workspace.workspaceFolders?.[0]).debug;
          if (on !== null && this.daemon) void this.setDebug(on).catch((err) => this.daemonOut.warn(`ginhot.debug: ${err}`));
        }
      }),
    );
    if (events.enabled) this.subscriptions.push(...this.recordEditorEvents());
  }

  /**
   * The status the status bar shows: of the root holding the active file,
   * else the one reported last (a multi-root workspace has one per root).
   */
  get lastStatus(): Status | undefined {
    const file = vscode.window.activeTextEditor?.document.uri.fsPath;
    let best: Status | undefined;
    for (const s of this.statuses.values()) {
      if (file?.startsWith(s.root + path.sep) && (!best || s.root.length > best.root.length)) best = s;
    }
    return best ?? this.statuses.get(this.latestRoot);
  }

  /** Starts the daemon unless it runs. */
  start(): Promise<void> {
    return this.lock.run(() => this.startLocked());
  }

  /** Stops the daemon, then starts it again with the current settings. */
  restart(): Promise<void> {
    return this.lock.run(async () => {
      await this.stopLocked();
      await this.startLocked();
    });
  }

  /** Stops the daemon; its app stops with it. */
  stop(): Promise<void> {
    return this.lock.run(() => this.stopLocked());
  }

  /** Asks the daemon to restart, rebuild, stop or start the app (all targets, or target). */
  async run(command: AppCommand, target?: string): Promise<void> {
    this.events.write('command', { command, target });
    await this.execute(serverCommands[command], target === undefined ? [] : [target]);
  }

  /** Switches debug mode on or off (ginhot.debug); toggles it when on is undefined. */
  async setDebug(on?: boolean): Promise<unknown> {
    this.events.write('debug-mode', { on });
    return this.execute(serverCommands.debug, on === undefined ? [] : [{ on }]);
  }

  /** Shows what saving uri would do, and returns it. */
  async explain(uri: vscode.Uri): Promise<Explanation> {
    const x = (await this.execute(serverCommands.explain, [uri.toString()])) as Explanation;
    this.events.write('explain', { uri: uri.toString(), ...x });
    const reason = x.reason.startsWith(x.decision) ? x.reason : `${x.decision}: ${x.reason}`;
    void vscode.window.showInformationMessage(`GinHot: ${path.basename(uri.fsPath)}: ${reason}`);
    return x;
  }

  /** Opens the app in the browser (asks which when several targets serve). */
  async openApp(): Promise<void> {
    const urls = appURLs(this.lastStatus);
    const url = urls.length > 1 ? await vscode.window.showQuickPick(urls, { placeHolder: 'Open which app?' }) : urls[0];
    if (url === undefined) {
      if (urls.length === 0) void vscode.window.showInformationMessage('GinHot: no app is serving yet.');
      return;
    }
    this.events.write('open', { url });
    await vscode.env.openExternal(vscode.Uri.parse(url));
  }

  dispose(): Promise<void> {
    const done = this.stop();
    return done.finally(() => {
      for (const d of this.subscriptions.splice(0)) d.dispose();
    });
  }

  private async execute(command: string, args: unknown[]): Promise<unknown> {
    if (!this.daemon) throw new Error('ginhotd is not running; run "GinHot: Restart Daemon"');
    return this.daemon.execute(command, args);
  }

  private show(phase: Phase): void {
    const view = this.bar.show(render(phase));
    this.events.write('status', { state: view.state, text: view.text });
  }

  private setStatus(st: Status): void {
    this.statuses.set(st.root, st);
    this.latestRoot = st.root;
    this.showStatus();
    this.debug.onStatus(st);
  }

  private showStatus(): void {
    const st = this.lastStatus;
    if (st) this.show({ kind: 'status', status: st });
  }

  private async startLocked(): Promise<void> {
    if (this.daemon) return;
    const session = ++this.session;
    const folder = vscode.workspace.workspaceFolders?.[0];
    const cwd = folder?.uri.fsPath ?? path.dirname(vscode.window.activeTextEditor?.document.uri.fsPath ?? this.env.HOME ?? '/');
    const s = readSettings(folder);
    const env = { ...this.env, ...s.env };
    this.show({ kind: 'launching' });
    const command = await findServer(s.path, env, cwd);
    if (!command) {
      this.show({ kind: 'missing', path: s.path });
      this.events.write('missing', { path: s.path });
      void this.offerInstall(s.path);
      return;
    }
    const launch = { command, args: s.args, env, cwd, initializationOptions: initializationOptions(s, goplsEnabled()) };
    const current = () => session === this.session;
    try {
      this.daemon = await this.startDaemon(
        launch,
        {
          status: (st) => {
            if (current()) this.setStatus(st);
          },
          log: (_type, message) => {
            if (!current()) return;
            this.app.appendLine(message);
            // The daemon's own lines (not the app's output; one message may
            // carry several lines), for the end-to-end test.
            for (const line of message.split('\n')) {
              if (line.startsWith('ginhotd: ')) this.events.write('daemon-log', { message: line });
            }
          },
          stopped: (reason) => {
            if (!current()) return;
            this.daemon = undefined;
            this.statuses.clear();
            this.show({ kind: 'off', reason });
          },
        },
        this.daemonOut,
      );
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.daemonOut.error(`starting ${command}: ${reason}`);
      this.events.write('start-failed', { command, error: reason });
      this.show({ kind: 'off', reason });
      return;
    }
    this.events.write('started', { command, args: launch.args, initializationOptions: launch.initializationOptions, serverInfo: this.daemon.serverInfo });
    if (this.statuses.size > 0) return;
    try {
      const st = (await this.daemon.execute(serverCommands.status, [])) as Status | null;
      if (st && current() && this.statuses.size === 0) this.setStatus(st);
    } catch (e) {
      this.daemonOut.warn(`ginhot.status: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async stopLocked(): Promise<void> {
    const d = this.daemon;
    this.session++;
    this.daemon = undefined;
    this.statuses.clear();
    if (!d) return;
    try {
      await d.stop();
    } catch (e) {
      this.daemonOut.warn(`stopping ginhotd: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.show({ kind: 'off', reason: 'stopped' });
  }

  /** Offers to `go install` the daemon, and starts it when the install succeeds. */
  private async offerInstall(name: string): Promise<void> {
    const install = 'Install with go install';
    const settings = 'Open Settings';
    const pick = await vscode.window.showWarningMessage(
      `GinHot: "${name}" was not found in PATH or in $(go env GOPATH)/bin.`,
      install,
      settings,
    );
    this.events.write('install-prompt', { pick });
    if (pick === settings) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'ginhot.path');
      return;
    }
    if (pick !== install) return;
    const task = new vscode.Task(
      { type: 'shell', task: 'install ginhotd' },
      vscode.TaskScope.Workspace,
      'install ginhotd',
      'GinHot',
      new vscode.ShellExecution('go', ['install', installPackage]),
    );
    const ended = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.source !== task.source || e.execution.task.name !== task.name) return;
      ended.dispose();
      if (e.exitCode === 0) void this.restart();
    });
    this.subscriptions.push(ended);
    await vscode.tasks.executeTask(task);
  }

  /** Records saves and the Problems panel's content in the event log. */
  private recordEditorEvents(): vscode.Disposable[] {
    return [
      vscode.workspace.onDidSaveTextDocument((doc) => this.events.write('saved', { uri: doc.uri.toString() })),
      vscode.languages.onDidChangeDiagnostics((e) => {
        for (const uri of e.uris) {
          const items = vscode.languages.getDiagnostics(uri).map((d) => ({
            line: d.range.start.line + 1,
            column: d.range.start.character + 1,
            severity: d.severity,
            source: d.source,
            message: d.message,
          }));
          this.events.write('diagnostics', { uri: uri.toString(), items });
        }
      }),
    ];
  }
}
