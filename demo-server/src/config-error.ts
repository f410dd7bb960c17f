/** A configuration value that cannot work: its message is one line, shown as is at start. */
export class ConfigError extends Error {}

/** A bad value quoted on one line, whatever it contains. */
export const show = (raw: string) => JSON.stringify(raw.length > 80 ? raw.slice(0, 80) + '…' : raw);
