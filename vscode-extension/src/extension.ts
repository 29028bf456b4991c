// Entry points VS Code calls: activate starts the daemon, deactivate stops it.
import type * as vscode from 'vscode';
import { startLanguageClient } from './client';
import { registerCommands } from './commands';
import { EventLog } from './eventlog';
import { Ginhot } from './ginhot';

let ginhot: Ginhot | undefined;

/** Activates on a workspace with a go.mod, or on one of the commands. */
export function activate(context: vscode.ExtensionContext): void {
  const events = EventLog.fromEnv(process.env);
  events.write('activate');
  ginhot = new Ginhot(startLanguageClient, events);
  context.subscriptions.push(...registerCommands(ginhot));
  void ginhot.start();
}

/** Stops the daemon, and with it the app. */
export function deactivate(): Promise<void> | undefined {
  const g = ginhot;
  ginhot = undefined;
  return g?.dispose();
}
