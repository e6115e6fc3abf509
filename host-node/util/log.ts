// Minimal structured-enough logging: one line per event on stderr, ISO timestamp first. Cheap when a level is
// disabled (a number compare; callers pass plain strings, build them only behind `log.enabled(level)` when costly).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

export interface Logger {
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(name: string): Logger;
}

export type LogSink = (line: string) => void;

const stderrSink: LogSink = (line) => {
  process.stderr.write(line + '\n');
};

export function parseLogLevel(s: string | undefined, fallback: LogLevel = 'info'): LogLevel {
  const l = (s ?? '').toLowerCase();
  return l in RANK ? (l as LogLevel) : fallback;
}

export function createLogger(name = 'rivulet', level: LogLevel = parseLogLevel(process.env.RIVULET_LOG_LEVEL), sink: LogSink = stderrSink): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string) => {
    if (RANK[lvl] < min) return;
    sink(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} [${name}] ${msg}`);
  };
  return {
    level,
    enabled: (l) => RANK[l] >= min,
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (n) => createLogger(`${name}.${n}`, level, sink),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger('silent', 'off');
