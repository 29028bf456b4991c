// The test event log: one JSON object per line, appended to the file named
// by $GINHOT_TEST_LOG. The end-to-end test asserts on it instead of on pixels.
// Without the variable nothing is written.
import { appendFileSync } from 'node:fs';

/** The variable that names the event log file. */
export const eventLogVar = 'GINHOT_TEST_LOG';

/** EventLog appends events to a JSONL file, or does nothing when it has none. */
export class EventLog {
  constructor(readonly file: string | undefined) {}

  /** Returns the log named by env[eventLogVar]. */
  static fromEnv(env: NodeJS.ProcessEnv): EventLog {
    return new EventLog(env[eventLogVar] || undefined);
  }

  get enabled(): boolean {
    return this.file !== undefined;
  }

  /** Appends {t, event, ...data}. */
  write(event: string, data: Record<string, unknown> = {}): void {
    if (this.file) appendFileSync(this.file, JSON.stringify({ t: Date.now(), event, ...data }) + '\n');
  }
}
