// Structured logs: one JSON object per line (time, level, message, fields), filtered by level.

export const LOG_LEVELS = ['off', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Readonly<Record<string, unknown>>;

/** A levelled logger; `enabled('debug')` lets hot paths skip building fields at all. */
export interface Logger {
  enabled(level: Exclude<LogLevel, 'off'>): boolean;
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Receives one line without its newline; defaults to stdout. */
  readonly write?: (line: string) => void;
  /** Wall clock for the `time` field; injected by tests. */
  readonly nowUnixMs?: () => number;
}

const RANK: Readonly<Record<LogLevel, number>> = { off: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** A logger writing JSON lines at or above `level` (`off` writes nothing). */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = RANK[options.level];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const nowUnixMs = options.nowUnixMs ?? Date.now;
  const emit = (level: Exclude<LogLevel, 'off'>, message: string, fields: LogFields = {}): void => {
    if (RANK[level] > threshold) return;
    const line: Record<string, unknown> = { time: new Date(nowUnixMs()).toISOString(), level, message };
    // A field can never overwrite the three keys every line carries.
    for (const [key, value] of Object.entries(fields)) if (!(key in line)) line[key] = value;
    write(JSON.stringify(line, jsonSafe));
  };
  return {
    enabled: (level) => RANK[level] <= threshold,
    error: (message, fields) => emit('error', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    info: (message, fields) => emit('info', message, fields),
    debug: (message, fields) => emit('debug', message, fields),
  };
}

/** A logger that drops everything (the default of components given none). */
export const SILENT_LOGGER: Logger = createLogger({ level: 'off', write: () => undefined });

/** Errors become their message and code (JSON.stringify would print `{}`); bigints become strings. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error)
    return { name: value.name, message: value.message, ...('code' in value ? { code: value.code } : {}) };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
