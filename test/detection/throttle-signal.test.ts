import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { describe, expect, it } from 'vitest';
import { observeThrottling, throttleSignal } from '../../src/detection/throttle-signal.ts';

/** SageMaker answering the first `throttledAttempts` requests with ThrottlingException, then a described endpoint. */
function sagemaker(throttledAttempts: number) {
  let requests = 0;
  const json = (statusCode: number, body: object) => ({
    statusCode,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: new Uint8Array(Buffer.from(JSON.stringify(body))),
  });
  return new SageMakerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3,
    requestHandler: {
      handle: async () => ({
        response:
          requests++ < throttledAttempts
            ? json(400, { __type: 'ThrottlingException', message: 'Rate exceeded' })
            : json(200, {
                EndpointName: 'e',
                EndpointArn: 'arn:aws:sagemaker:us-east-1:111111111111:endpoint/e',
                EndpointConfigName: 'c',
                EndpointStatus: 'InService',
                CreationTime: 0,
                LastModifiedTime: 0,
              }),
      }),
    },
  });
}

describe('the throttling signal of an account-region', () => {
  it('sees a throttled attempt the SDK retried into a success, and not a call that passed first time', async () => {
    const throttledOnce = sagemaker(1);
    observeThrottling(throttledOnce);
    const retried = await throttleSignal(() => throttledOnce.send(new DescribeEndpointCommand({ EndpointName: 'e' })));
    expect(retried.value.EndpointName).toBe('e');
    expect(retried.throttled).toBe(true);

    const clean = await throttleSignal(() => throttledOnce.send(new DescribeEndpointCommand({ EndpointName: 'e' })));
    expect(clean.throttled).toBe(false);
  });
});
