// A small structured logger: JSON lines on stderr. Kept dependency-free so the
// idle server stays small; SKIFF_LOG_LEVEL=debug|info|warn|error.
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const threshold = ORDER[(process.env.SKIFF_LOG_LEVEL as Level) ?? 'info'] ?? 20;

function write(level: Level, msg: string, extra?: Record<string, unknown>): void {
  if (ORDER[level] < threshold) return;
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...extra }) + '\n');
}

export const logger = {
  debug: (msg: string, extra?: Record<string, unknown>) => write('debug', msg, extra),
  info: (msg: string, extra?: Record<string, unknown>) => write('info', msg, extra),
  warn: (msg: string, extra?: Record<string, unknown>) => write('warn', msg, extra),
  error: (msg: string, extra?: Record<string, unknown>) => write('error', msg, extra),
};
