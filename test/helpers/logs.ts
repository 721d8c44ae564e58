// A pino logger whose lines a test reads back.
import pino, { type Logger } from 'pino';

export function capturedLogger(level: pino.Level): { logger: Logger; logs: () => string } {
  let logs = '';
  const logger = pino(
    { level },
    {
      write: (line: string) => {
        logs += line;
      },
    },
  );
  return { logger, logs: () => logs };
}
