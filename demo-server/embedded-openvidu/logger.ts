export interface Logger {
  debug(msg: string, extra?: object): void;
  info(msg: string, extra?: object): void;
  warn(msg: string, extra?: object): void;
  error(msg: string, extra?: object): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function consoleLogger(level: LogLevel = 'info', prefix = 'openvidu'): Logger {
  const min = LEVELS.indexOf(level);
  const make = (l: Exclude<LogLevel, 'silent'>) => (msg: string, extra?: object) => {
    if (LEVELS.indexOf(l) < min) return;
    const line = `[${prefix}] ${l.toUpperCase()} ${msg}${extra ? ' ' + JSON.stringify(extra) : ''}`;
    (l === 'error' || l === 'warn' ? console.error : console.log)(line);
  };
  return { debug: make('debug'), info: make('info'), warn: make('warn'), error: make('error') };
}
