// A hand-written stand-in for the `vscode` module: the unit tests bundle it
// in place of the real API (esbuild alias), so they run in plain node
// without downloading VS Code. It implements only what src/ uses, records
// what the extension did, and lets a test answer prompts and change settings.

type Listener<T> = (e: T) => unknown;

/** EventEmitter as in the API: event(listener) subscribes, fire(e) calls the listeners in order. */
export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (l: Listener<T>): Disposable => {
    this.listeners.push(l);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((x) => x !== l);
    });
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  get size(): number {
    return this.listeners.length;
  }
}

export class Disposable {
  constructor(private readonly f: () => void = () => undefined) {}
  dispose(): void {
    this.f();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
    private readonly raw: string,
  ) {}
  static parse(s: string): Uri {
    const m = /^([a-z][a-z0-9+.-]*):/i.exec(s);
    const scheme = m ? m[1] : 'file';
    return new Uri(scheme, scheme === 'file' ? decodeURIComponent(s.replace(/^file:\/\//, '')) : '', s);
  }
  static file(p: string): Uri {
    return new Uri('file', p, 'file://' + p.split('/').map(encodeURIComponent).join('/'));
  }
  toString(): string {
    return this.raw;
  }
}

export class MarkdownString {
  constructor(
    readonly value: string,
    readonly supportThemeIcons = false,
  ) {}
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export enum TaskScope {
  Global = 1,
  Workspace = 2,
}

export class ShellExecution {
  constructor(
    readonly command: string,
    readonly args: string[],
  ) {}
}

export class Task {
  constructor(
    readonly definition: { type: string },
    readonly scope: TaskScope,
    readonly name: string,
    readonly source: string,
    readonly execution: ShellExecution,
  ) {}
}

/** A status bar item that remembers what was set on it. */
export class StatusBarItem {
  text = '';
  name = '';
  tooltip: string | MarkdownString | undefined;
  command: string | undefined;
  backgroundColor: ThemeColor | undefined;
  visible = false;
  disposed = false;
  constructor(
    readonly id: string,
    readonly alignment: StatusBarAlignment,
    readonly priority: number,
  ) {}
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.disposed = true;
  }
}

/** An output channel that keeps its lines. */
export class OutputChannel {
  lines: string[] = [];
  shown = 0;
  disposed = false;
  constructor(
    readonly name: string,
    readonly log: boolean,
  ) {}
  appendLine(s: string): void {
    this.lines.push(s);
  }
  append(s: string): void {
    this.lines.push(s);
  }
  info(s: string): void {
    this.lines.push(`[info] ${s}`);
  }
  warn(s: string): void {
    this.lines.push(`[warning] ${s}`);
  }
  error(s: string): void {
    this.lines.push(`[error] ${s}`);
  }
  show(): void {
    this.shown++;
  }
  dispose(): void {
    this.disposed = true;
  }
}

export class DebugAdapterServer {
  constructor(
    readonly port: number,
    readonly host?: string,
  ) {}
}

/** A debug session as the stand-in starts it: the adapter the factory gave, the tracker it watches. */
export interface DebugSession {
  id: string;
  type: string;
  name: string;
  configuration: { type: string; name: string; request: string; [key: string]: unknown };
  folder: unknown;
  options: Record<string, unknown> | undefined;
  adapter: unknown;
  tracker: { onDidSendMessage?(m: unknown): void } | undefined;
}

/** What the extension did, for assertions, and how the "user" answers. */
export interface Recorder {
  statusItems: StatusBarItem[];
  channels: OutputChannel[];
  messages: { level: 'info' | 'warning' | 'error'; text: string; items: string[] }[];
  /** Answers to show…Message prompts, in order; undefined dismisses. */
  answers: (string | undefined)[];
  quickPickAnswers: (string | undefined)[];
  opened: string[];
  tasks: Task[];
  executed: { command: string; args: unknown[] }[];
  commands: Map<string, (...args: unknown[]) => unknown>;
  settings: Record<string, unknown>;
  extensions: Set<string>;
  workspaceFolders: { uri: Uri; name: string; index: number }[] | undefined;
  activeFile: string | undefined;
  /** Every debug session started, in order; stopped lists those the extension stopped. */
  debugSessions: DebugSession[];
  debugStopped: DebugSession[];
  debugFactories: Map<string, { createDebugAdapterDescriptor(s: DebugSession, e: unknown): unknown }>;
  debugTrackers: Map<string, { createDebugAdapterTracker(s: DebugSession): DebugSession['tracker'] }>;
}

function fresh(): Recorder {
  return {
    statusItems: [],
    channels: [],
    messages: [],
    answers: [],
    quickPickAnswers: [],
    opened: [],
    tasks: [],
    executed: [],
    commands: new Map(),
    settings: {},
    extensions: new Set(),
    workspaceFolders: undefined,
    activeFile: undefined,
    debugSessions: [],
    debugStopped: [],
    debugFactories: new Map(),
    debugTrackers: new Map(),
  };
}

/** The recorder of the current test; [reset] replaces it. */
export let rec: Recorder = fresh();

const configChanged = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();
const saved = new EventEmitter<{ uri: Uri }>();
const diagnosticsChanged = new EventEmitter<{ uris: Uri[] }>();
const activeEditorChanged = new EventEmitter<unknown>();
const taskEnded = new EventEmitter<{ execution: { task: Task }; exitCode: number | undefined }>();
const debugStarted = new EventEmitter<DebugSession>();
const debugTerminated = new EventEmitter<DebugSession>();

/** Ends session as VS Code does when its adapter goes away. */
export function endDebugSession(s: DebugSession): void {
  debugTerminated.fire(s);
}

/** Passes a message from session's adapter to its tracker. */
export function adapterSends(s: DebugSession, m: unknown): void {
  s.tracker?.onDidSendMessage?.(m);
}

export const debug = {
  registerDebugAdapterDescriptorFactory(type: string, f: { createDebugAdapterDescriptor(s: DebugSession, e: unknown): unknown }): Disposable {
    rec.debugFactories.set(type, f);
    return new Disposable(() => rec.debugFactories.delete(type));
  },
  registerDebugAdapterTrackerFactory(type: string, f: { createDebugAdapterTracker(s: DebugSession): DebugSession['tracker'] }): Disposable {
    rec.debugTrackers.set(type, f);
    return new Disposable(() => rec.debugTrackers.delete(type));
  },
  /** Like VS Code: asks the type's factory for the adapter; false when it throws. */
  startDebugging(folder: unknown, configuration: DebugSession['configuration'], options?: Record<string, unknown>): Promise<boolean> {
    const s: DebugSession = {
      id: `s${rec.debugSessions.length + 1}`,
      type: configuration.type,
      name: configuration.name,
      configuration,
      folder,
      options,
      adapter: undefined,
      tracker: undefined,
    };
    try {
      s.adapter = rec.debugFactories.get(s.type)?.createDebugAdapterDescriptor(s, undefined);
    } catch {
      return Promise.resolve(false);
    }
    s.tracker = rec.debugTrackers.get(s.type)?.createDebugAdapterTracker(s);
    rec.debugSessions.push(s);
    debugStarted.fire(s);
    return Promise.resolve(true);
  },
  stopDebugging(s: DebugSession): Promise<void> {
    rec.debugStopped.push(s);
    debugTerminated.fire(s);
    return Promise.resolve();
  },
  onDidStartDebugSession: debugStarted.event,
  onDidTerminateDebugSession: debugTerminated.event,
};

/** Starts a test from scratch: no commands, no settings, no recorded calls. */
export function reset(): void {
  rec = fresh();
}

/** Changes settings (full keys such as "ginhot.addr") and fires onDidChangeConfiguration. */
export function changeSettings(values: Record<string, unknown>): void {
  Object.assign(rec.settings, values);
  const keys = Object.keys(values);
  configChanged.fire({ affectsConfiguration: (s) => keys.some((k) => k === s || k.startsWith(s + '.')) });
}

/** Makes file the active editor's document and fires onDidChangeActiveTextEditor. */
export function openFile(file: string | undefined): void {
  rec.activeFile = file;
  activeEditorChanged.fire(window.activeTextEditor);
}

/** Ends the recorded task named name with exitCode. */
export function endTask(name: string, exitCode: number): void {
  const task = rec.tasks.findLast((t) => t.name === name);
  if (!task) throw new Error(`no task ${name}`);
  taskEnded.fire({ execution: { task }, exitCode });
}

function ask(level: 'info' | 'warning' | 'error', text: string, items: unknown[]): Promise<string | undefined> {
  const labels = items.filter((i): i is string => typeof i === 'string');
  rec.messages.push({ level, text, items: labels });
  return Promise.resolve(labels.length > 0 ? rec.answers.shift() : undefined);
}

export const window = {
  createStatusBarItem(id: string, alignment: StatusBarAlignment, priority: number): StatusBarItem {
    const item = new StatusBarItem(id, alignment, priority);
    rec.statusItems.push(item);
    return item;
  },
  createOutputChannel(name: string, opts?: { log: true }): OutputChannel {
    const c = new OutputChannel(name, opts?.log === true);
    rec.channels.push(c);
    return c;
  },
  showInformationMessage: (text: string, ...items: unknown[]) => ask('info', text, items),
  showWarningMessage: (text: string, ...items: unknown[]) => ask('warning', text, items),
  showErrorMessage: (text: string, ...items: unknown[]) => ask('error', text, items),
  showQuickPick: (items: string[]) => Promise.resolve(rec.quickPickAnswers.shift() ?? items[0]),
  get activeTextEditor() {
    return rec.activeFile ? { document: { uri: Uri.file(rec.activeFile) } } : undefined;
  },
  onDidChangeActiveTextEditor: activeEditorChanged.event,
};

export const workspace = {
  getConfiguration(section: string) {
    return {
      get<T>(key: string, def?: T): T | undefined {
        const k = `${section}.${key}`;
        return k in rec.settings ? (rec.settings[k] as T) : def;
      },
    };
  },
  onDidChangeConfiguration: configChanged.event,
  onDidSaveTextDocument: saved.event,
  get workspaceFolders() {
    return rec.workspaceFolders;
  },
};

export const extensions = {
  getExtension: (id: string) => (rec.extensions.has(id) ? { id, isActive: true } : undefined),
};

export const languages = {
  onDidChangeDiagnostics: diagnosticsChanged.event,
  getDiagnostics: () => [],
};

export const commands = {
  registerCommand(id: string, f: (...args: unknown[]) => unknown): Disposable {
    if (rec.commands.has(id)) throw new Error(`command '${id}' already exists`);
    rec.commands.set(id, f);
    return new Disposable(() => rec.commands.delete(id));
  },
  executeCommand(command: string, ...args: unknown[]): Promise<unknown> {
    rec.executed.push({ command, args });
    const f = rec.commands.get(command);
    return Promise.resolve(f ? f(...args) : undefined);
  },
};

export const env = {
  openExternal(uri: Uri): Promise<boolean> {
    rec.opened.push(uri.toString());
    return Promise.resolve(true);
  },
};

export const tasks = {
  executeTask(task: Task): Promise<{ task: Task }> {
    rec.tasks.push(task);
    return Promise.resolve({ task });
  },
  onDidEndTaskProcess: taskEnded.event,
};
