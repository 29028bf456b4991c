// The commands of the palette ("GinHot: …"), registered through one factory.
import * as vscode from 'vscode';
import type { Ginhot } from './ginhot';

/** A command: the controller in, the callback VS Code runs out. */
type CommandFactory = (g: Ginhot) => (...args: any[]) => unknown;

/** Every command the extension contributes (package.json "contributes.commands"), by id. */
export const commands: Record<string, CommandFactory> = {
  'ginhot.restartApp': (g) => (target?: string) => g.run('restart', target),
  'ginhot.rebuildApp': (g) => (target?: string) => g.run('rebuild', target),
  'ginhot.stopApp': (g) => (target?: string) => g.run('stop', target),
  'ginhot.startApp': (g) => (target?: string) => g.run('start', target),
  'ginhot.showOutput': (g) => () => g.app.show(true),
  'ginhot.openApp': (g) => () => g.openApp(),
  'ginhot.explainFile': (g) => (uri?: vscode.Uri) => {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target) return vscode.window.showInformationMessage('GinHot: open a file to explain.');
    return g.explain(target);
  },
  'ginhot.restartDaemon': (g) => () => g.restart(),
  'ginhot.debugApp': (g) => (target?: string) => g.debug.debugApp(typeof target === 'string' ? target : undefined),
  'ginhot.toggleDebug': (g) => () => g.setDebug(),
};

/** Registers every command; the returned disposables unregister them. */
export function registerCommands(g: Ginhot): vscode.Disposable[] {
  return Object.entries(commands).map(([id, make]) => {
    const run = make(g);
    return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await run(...args);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        g.events.write('command-failed', { id, error: msg });
        void vscode.window.showErrorMessage(`GinHot: ${msg}`);
        return undefined;
      }
    });
  });
}
