// The seam between the extension's UI and the language client: the
// controller drives a [Daemon] and receives [DaemonEvents]; client.ts
// implements it with vscode-languageclient, the unit tests with a recorder.
import type * as vscode from 'vscode';
import type { Status } from './protocol';

/** How to start ginhotd. */
export interface Launch {
  command: string;
  /** Flags before --stdio. */
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  initializationOptions: Record<string, unknown>;
}

/** What a running daemon reports. */
export interface DaemonEvents {
  status(s: Status): void;
  /** window/logMessage: the app's output. */
  log(type: number, message: string): void;
  /** The connection ended without being asked to (the client gave up restarting it). */
  stopped(reason: string): void;
}

/** A started ginhotd. */
export interface Daemon {
  readonly serverInfo?: { name: string; version?: string };
  /** Sends workspace/executeCommand and returns its result. */
  execute(command: string, args?: unknown[]): Promise<unknown>;
  /** Shuts the daemon down (shutdown, exit). */
  stop(): Promise<void>;
}

/** Starts a daemon; its trace and stderr go to out. */
export type StartDaemon = (launch: Launch, on: DaemonEvents, out: vscode.LogOutputChannel) => Promise<Daemon>;
