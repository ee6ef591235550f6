import { MemoryStorageClient } from '@x/memory-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';

// A 401 says whether the token was missing or wrong, and never shows a token.

const TOKEN = 'the-servers-token-7c41';

describe('401 answers', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ storageClient: new MemoryStorageClient(), token: TOKEN });
  });

  afterAll(async () => {
    await server.close();
  });

  async function errorOf(path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; message: string }> {
    const response = await fetch(`${server.url}${path}`, { headers });
    const body = (await response.json()) as { error: { type: string; message: string } };
    return { status: response.status, ...body.error };
  }

  it('without a token: says it was not provided and how to send it', async () => {
    const missing = await errorOf('/v2/datasets');
    expect(missing.status).toBe(401);
    expect(missing.message).toBe('Authentication token was not provided: send it as "Authorization: Bearer <token>" or as ?token=<token>.');
  });

  it('with a wrong token, in the header or the query: says it is not valid, without echoing it', async () => {
    const header = await errorOf('/v2/datasets', { authorization: 'Bearer wrong-token-123' });
    const query = await errorOf('/v2/datasets?token=wrong-token-123');
    for (const wrong of [header, query]) {
      expect(wrong.status).toBe(401);
      expect(wrong.message).toContain('Authentication token is not valid');
      expect(wrong.message).not.toContain('wrong-token-123');
      expect(wrong.message).not.toContain(TOKEN);
    }
    // The two cases read differently.
    expect(header.message).not.toBe((await errorOf('/v2/datasets')).message);
    // An Authorization header that is not a bearer token counts as a wrong token, not a missing one.
    expect((await errorOf('/v2/datasets', { authorization: 'Basic abc' })).message).toContain('is not valid');
  });

  it('the right token still works', async () => {
    const response = await fetch(`${server.url}/v2/datasets`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
  });
});
