// The ginhotd-specific part of the LSP contract (docs/protocol.md, and
// docs/contract.json, which test/unit/contract.test.ts checks this file
// against): the commands the daemon executes and the shapes it sends back.
// Plain data, no vscode import, so tests and the status mapping share it.

/** One state of a target or of the whole session. */
export type State = 'idle' | 'building' | 'starting' | 'running' | 'failed' | 'crashed' | 'stopped';

/** The state of one target (a main package ginhotd runs). */
export interface TargetStatus {
  package: string;
  name: string;
  state: State;
  pid?: number;
  url?: string;
  generation: number;
  /** A version of this target answers requests now. */
  serving: boolean;
  /** The serving version was built before its save, from the editor's unsaved buffers (or reused from a binary of the same content). */
  prepared?: boolean;
  buildMs: number;
  error?: string;
  /** Delve's address for the current version in debug mode, e.g. "127.0.0.1:40123"; a new version has a new one. */
  debug?: string;
  /** What the target's line adds: what serves while it is failed or crashed, that its version was prepared. */
  note?: string;
}

/** The payload of the ginhot/status notification and of the ginhot.status command. */
export interface Status {
  state: State;
  root: string;
  logFile?: string;
  targets: TargetStatus[];
  /** How the daemon sees changes: "inotify", "inotify + polling ./ (fuse) every ~1.25s", "polling every 500ms". */
  watch?: string;
  /** What the status bar shows after the state's icon: the URL, what serves after a failure, or the state. */
  label: string;
  /** Running, and a serving version was prepared before its save: the status bar adds [preparedMark]. */
  prepared?: boolean;
}

/** The answer of the ginhot.explain command. */
export interface Explanation {
  decision: string;
  targets: string[];
  reason: string;
}

/** The notification the daemon sends whenever a state changes. */
export const statusNotification = 'ginhot/status';

/** The workspace/executeCommand commands the daemon serves. */
export const serverCommands = {
  restart: 'ginhot.restart',
  rebuild: 'ginhot.rebuild',
  stop: 'ginhot.stop',
  start: 'ginhot.start',
  status: 'ginhot.status',
  explain: 'ginhot.explain',
  debug: 'ginhot.debug',
} as const;

/** The module users install the daemon from. */
export const installPackage = 'github.com/ginhotd/ginhotd/cmd/ginhotd@latest';
