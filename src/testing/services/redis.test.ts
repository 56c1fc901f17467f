import { describe, expect, it } from 'vitest';
import { closedPort } from '../ports.js';
import { redisCommand, redisForTests } from './redis.js';

describe('redisForTests', () => {
  it('uses a Redis that answers, and deletes only its own keys', async () => {
    const redis = await redisForTests();
    const port = Number(new URL(redis.url).port);
    await redisCommand(port, ['SET', `${redis.prefix}:a`, '1']);
    await redisCommand(port, ['SET', `${redis.prefix}-other:a`, '1']);
    await redis.close();
    expect(await redisCommand(port, ['EXISTS', `${redis.prefix}:a`])).toBe(':0');
    expect(await redisCommand(port, ['EXISTS', `${redis.prefix}-other:a`])).toBe(':1');
    await redisCommand(port, ['DEL', `${redis.prefix}-other:a`]);
  });

  it('starts a redis-server of its own when nothing answers, and stops it after', async () => {
    const nothing = await closedPort();
    const redis = await redisForTests({ port: nothing });
    const port = Number(new URL(redis.url).port);
    expect(port).not.toBe(nothing);
    expect(await redisCommand(port, ['PING'])).toBe('+PONG');
    await redis.close();
    await expect(redisCommand(port, ['PING'])).rejects.toThrow();
  });
});
