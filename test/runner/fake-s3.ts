import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** An in-memory S3 for unit tests of the runner's Distributed Map (GetObject/PutObject only). */
export function fakeS3(initial: Record<string, unknown> = {}): { client: S3Client; objects: Map<string, string> } {
  const objects = new Map<string, string>(Object.entries(initial).map(([k, v]) => [k, JSON.stringify(v)]));
  const client = {
    send: async (command: unknown) => {
      if (command instanceof GetObjectCommand) {
        const key = `${command.input.Bucket}/${command.input.Key}`;
        const body = objects.get(key);
        if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        return { Body: { transformToString: async () => body } };
      }
      if (command instanceof PutObjectCommand) {
        objects.set(`${command.input.Bucket}/${command.input.Key}`, String(command.input.Body));
        return {};
      }
      throw new Error(`fake S3 does not support ${(command as object).constructor.name}`);
    },
  };
  return { client: client as unknown as S3Client, objects };
}
