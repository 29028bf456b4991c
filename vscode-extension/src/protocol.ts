// The ginhotd-specific part of the LSP contract (docs/protocol.md): the
// commands the daemon executes and the shapes it sends back. Plain data, no
// vscode import, so tests and the status mapping share it.

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
  /** A version of this target answers requests now (absent from daemons before 0.2). */
  serving?: boolean;
  /** The serving version was built before its save, from the editor's unsaved buffers (or reused from a binary of the same content). */
  prepared?: boolean;
  buildMs: number;
  error?: string;
  /** Delve's address for the current version in debug mode, e.g. "127.0.0.1:40123"; a new version has a new one. */
  debug?: string;
}

/** The payload of the ginhot/status notification and of the ginhot.status command. */
export interface Status {
  state: State;
  root: string;
  logFile?: string;
  targets: TargetStatus[];
  /** How the daemon sees changes: "inotify", "inotify + polling ./ (fuse) every ~1.25s", "polling every 500ms". */
  watch?: string;
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
