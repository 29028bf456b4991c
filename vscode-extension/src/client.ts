// The language client: the only file that knows vscode-languageclient.
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  LogMessageNotification,
  RevealOutputChannelOn,
  State,
} from 'vscode-languageclient/node';
import type { Daemon, StartDaemon } from './daemon';
import { statusNotification, type Status } from './protocol';

/** The documents whose open and save ginhotd hears about; it watches the disk for the rest. */
const documentSelector = [
  { scheme: 'file', language: 'go' },
  { scheme: 'file', language: 'go.mod' },
  { scheme: 'file', language: 'go.work' },
  { scheme: 'file', pattern: '**/*.{tmpl,gohtml}' },
];

/** How many times the client restarts a daemon that exited, within three minutes, before it gives up. */
const maxRestarts = 4;

/** Starts `ginhotd [args] --stdio` through vscode-languageclient. */
export const startLanguageClient: StartDaemon = async (launch, on, out) => {
  const crashes: number[] = [];
  const client = new LanguageClient(
    'ginhot',
    'GinHot',
    { command: launch.command, args: [...launch.args, '--stdio'], options: { env: launch.env, cwd: launch.cwd } },
    {
      documentSelector,
      initializationOptions: launch.initializationOptions,
      outputChannel: out,
      traceOutputChannel: out,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      diagnosticCollectionName: 'ginhotd',
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => {
          const now = Date.now();
          crashes.push(now);
          while (crashes.length > 0 && crashes[0] < now - 3 * 60 * 1000) crashes.shift();
          if (crashes.length <= maxRestarts) return { action: CloseAction.Restart, handled: true };
          on.stopped(`ginhotd exited ${crashes.length} times in three minutes; see the "GinHot Daemon" output`);
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
    },
  );
  client.onNotification(statusNotification, (s: Status) => on.status(s));
  client.onNotification(LogMessageNotification.type, (p) => on.log(p.type, p.message));
  try {
    await client.start();
  } catch (e) {
    if (client.state !== State.Stopped) await client.dispose().catch(() => undefined);
    throw e;
  }
  const daemon: Daemon = {
    serverInfo: client.initializeResult?.serverInfo,
    execute: (command, args) => client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }),
    stop: async () => {
      if (client.state === State.Running) await client.stop(5000);
      else await client.dispose(5000);
    },
  };
  return daemon;
};
