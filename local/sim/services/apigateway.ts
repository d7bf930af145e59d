import { SimError, type SimService } from '../protocol.ts';
import type { World } from '../world.ts';

/**
 * Amazon API Gateway (REST-JSON), only GetAccount (`GET /account`): whether the account-level CloudWatch
 * role that REST API access logging needs is set
 * (https://docs.aws.amazon.com/apigateway/latest/api/API_GetAccount.html). Errors carry
 * `x-amzn-ErrorType` and a `message` body, as REST-JSON services do.
 */
interface ApiGatewayAccount {
  cloudwatchRoleArn?: string;
}

function accountState(world: World, accountId: string, region: string): ApiGatewayAccount {
  return world.regional<ApiGatewayAccount>('apigateway', accountId, region, () => ({}));
}

/** What `aws apigateway update-account` (or the stack's AWS::ApiGateway::Account) would have set. */
export function apiGatewayStore(world: World, accountId: string, region: string) {
  const state = accountState(world, accountId, region);
  return {
    setCloudWatchRole: (roleArn: string | undefined) => {
      if (roleArn === undefined) delete state.cloudwatchRoleArn;
      else state.cloudwatchRoleArn = roleArn;
    },
  };
}

export function apiGatewayService(): SimService {
  return {
    signingName: 'apigateway',
    async operationOf(req) {
      if (req.method === 'GET' && req.url.pathname === '/account') return 'GetAccount';
      throw new SimError('NotFoundException', `Operation ${req.method} ${req.url.pathname} is not supported by the simulator`, 404);
    },
    async handle(_req, ctx) {
      const state = accountState(ctx.world, ctx.caller.accountId, ctx.caller.region);
      const body = { ...state, throttleSettings: { burstLimit: 5000, rateLimit: 10000 }, features: ['UsagePlans'], apiKeyVersion: '4' };
      return { status: 200, headers: { 'content-type': 'application/json', 'x-amzn-requestid': ctx.requestId }, body: JSON.stringify(body) };
    },
    renderError(error, ctx) {
      return {
        status: error.status,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': error.code, 'x-amzn-requestid': ctx.requestId },
        body: JSON.stringify({ message: error.message }),
      };
    },
    throttlingError() {
      return new SimError('TooManyRequestsException', 'Too Many Requests', 429);
    },
  };
}
