// PLACEHOLDER: replaced by the service implementation.
import { jsonService, type SimService } from '../protocol.ts';

export function autoscalingService(): SimService {
  return jsonService({ signingName: 'application-autoscaling', targetPrefix: 'AnyScaleFrontendService', version: '1.1', operations: {} });
}
