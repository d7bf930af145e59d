// PLACEHOLDER: replaced by the service implementation.
import { jsonService, type SimService } from '../../protocol.ts';

export function cloudwatchService(): SimService {
  return jsonService({ signingName: 'monitoring', targetPrefix: 'GraniteServiceVersion20100801', version: '1.0', operations: {} });
}
