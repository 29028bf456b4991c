// Settings: reading the ginhot.* configuration, turning it into the daemon's
// initializationOptions, and finding the ginhotd executable.
import { execFile } from 'node:child_process';
import { constants as fsc, promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** The ginhot.* settings (package.json "contributes.configuration"). */
export interface Settings {
  path: string;
  args: string[];
  env: Record<string, string>;
  addr: string;
  targets: string[];
  proxy: boolean | null;
  liveReload: boolean | null;
  diagnostics: 'auto' | 'all' | 'complement';
  debug: boolean | null;
}

/** Reads the ginhot.* settings for scope (a workspace folder, or the window). */
export function readSettings(scope?: vscode.ConfigurationScope): Settings {
  const c = vscode.workspace.getConfiguration('ginhot', scope);
  return {
    path: c.get<string>('path', 'ginhotd') || 'ginhotd',
    args: c.get<string[]>('args', []),
    env: c.get<Record<string, string>>('env', {}),
    addr: c.get<string>('addr', ''),
    targets: c.get<string[]>('targets', []),
    proxy: c.get<boolean | null>('proxy', null),
    liveReload: c.get<boolean | null>('liveReload', null),
    diagnostics: c.get<Settings['diagnostics']>('diagnostics', 'auto'),
    debug: c.get<boolean | null>('debug', null),
  };
}

/** Reports whether gopls serves Go files here: the Go extension is installed and its language server is on. */
export function goplsEnabled(): boolean {
  return vscode.extensions.getExtension('golang.go') !== undefined && vscode.workspace.getConfiguration('go').get<boolean>('useLanguageServer', true) !== false;
}

/**
 * Returns the initializationOptions for s: the ginhot.toml keys (snake_case)
 * of the settings the user set. Unset settings are left out so ginhot.toml
 * and the daemon's defaults apply. diagnostics "auto" becomes "complement"
 * when gopls already reports compile errors, else "all".
 */
export function initializationOptions(s: Settings, gopls: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (s.addr) o.addr = s.addr;
  if (s.targets.length > 0) o.targets = s.targets;
  if (s.proxy !== null) o.proxy = s.proxy;
  if (s.liveReload !== null) o.live_reload = s.liveReload;
  if (s.debug !== null) o.debug = s.debug;
  o.diagnostics = s.diagnostics === 'auto' ? (gopls ? 'complement' : 'all') : s.diagnostics;
  return o;
}

/**
 * Finds the ginhotd executable for the setting name: a path with a
 * separator is taken as is (relative to cwd); a bare name is looked up in
 * env.PATH, then in `go env GOBIN` and `$(go env GOPATH)/bin`. It returns
 * undefined when there is none.
 */
export async function findServer(name: string, env: NodeJS.ProcessEnv, cwd: string): Promise<string | undefined> {
  if (name.includes('/') || name.includes(path.sep)) {
    const p = path.resolve(cwd, name.replace(/^~(?=\/)/, env.HOME ?? '~'));
    return (await isExecutable(p)) ? p : undefined;
  }
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const d of dirs) {
    const p = path.join(d, name);
    if (await isExecutable(p)) return p;
  }
  for (const d of await goBinDirs(env, cwd)) {
    const p = path.join(d, name);
    if (await isExecutable(p)) return p;
  }
  return undefined;
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) return false;
    await fs.access(p, fsc.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Returns `go env GOBIN` and each `$GOPATH/bin`, or nothing when go is missing. */
function goBinDirs(env: NodeJS.ProcessEnv, cwd: string): Promise<string[]> {
  return new Promise((resolve) => {
    execFile('go', ['env', 'GOBIN', 'GOPATH'], { env, cwd, timeout: 15000 }, (err, stdout) => {
      if (err) return resolve([]);
      const [gobin = '', gopath = ''] = stdout.split('\n');
      const dirs = gopath.split(path.delimiter).filter(Boolean).map((d) => path.join(d, 'bin'));
      resolve(gobin ? [gobin, ...dirs] : dirs);
    });
  });
}
