import { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from './log-stream.ts';

export { silentLog, streamLog, type Log } from './log-stream.ts';

class PowertoolsLog implements Log {
  constructor(private readonly logger: Logger) {}
  debug(message: string, extra?: Record<string, unknown>): void {
    this.logger.debug(message, extra ?? {});
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.logger.info(message, extra ?? {});
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.logger.warn(message, extra ?? {});
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.logger.error(message, extra ?? {});
  }
  child(keys: Record<string, unknown>): Log {
    const child = this.logger.createChild();
    child.appendPersistentKeys(keys);
    return new PowertoolsLog(child);
  }
}

export function lambdaLog(serviceName: string): Log {
  return new PowertoolsLog(new Logger({ serviceName }));
}
