// PLACEHOLDER: replaced by the service implementation.
import { jsonService, type SimService } from '../protocol.ts';

export function organizationsService(): SimService {
  return jsonService({ signingName: 'organizations', targetPrefix: 'AWSOrganizationsV20161128', version: '1.1', operations: {} });
}
