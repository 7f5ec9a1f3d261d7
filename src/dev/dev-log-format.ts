/**
 * Human-readable log lines for the dev stack's terminal: `12:00:01 INFO  worker  post published
 * postId=… platform=x`. A pino destination, so the loggers below stay the same structured ones.
 */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const HIDDEN = new Set(['level', 'time', 'msg', 'name', 'component', 'pid', 'hostname']);
const MAX_VALUE_LENGTH = 200;

export function formatDevLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return line.trimEnd();
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
  const level = LEVELS[entry.level as number] ?? String(entry.level);
  const component = typeof entry.component === 'string' ? entry.component : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${showValue(errorMessage(value) ?? value)}`);
  return [time, level, component.padEnd(10), String(entry.msg ?? ''), ...fields].join(' ').trimEnd();
}

/** A pino destination writing formatted lines through `write`. */
export function createDevLogDestination(write: (text: string) => void): { write(line: string): void } {
  return { write: (line: string) => write(`${formatDevLogLine(line)}\n`) };
}

/** pino serialises errors as { type, message, stack }: the message is enough on a terminal. */
function errorMessage(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || !('message' in value) || !('stack' in value)) {
    return null;
  }
  return String((value as { message: unknown }).message);
}

function showValue(value: unknown): string {
  const text = typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH)}…` : text;
}
