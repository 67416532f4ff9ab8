/** One structured log line: written as JSON, one per line, to stdout. */
export type LogLine = Record<string, unknown>;
export type Logger = (line: LogLine) => void;
