import { readFile } from 'node:fs/promises';
import { ApiClient } from '../api-client.js';
import { ApiError, CliError, EXIT, UsageError } from '../cli-errors.js';
import type { CommandContext, CommandSpec } from '../command.js';
import type { StoredCredential } from '../credentials-store.js';
import { oneLine } from '../render/terminal-safe.js';

const DEFAULT_SCOPE = 'api://sluice/.default';

interface TokenAnswer {
  access_token?: unknown;
  expires_in?: unknown;
  error?: unknown;
  error_description?: unknown;
}

/** The claims worth showing, read without verifying (the server verifies; this is for display). */
export function peekClaims(token: string): { exp?: number; who?: string } {
  const [, payload] = token.split('.');
  if (payload === undefined) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const who = [claims.name, claims.preferred_username, claims.app_displayname, claims.azp, claims.sub].find((c) => typeof c === 'string');
    return { ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}), ...(typeof who === 'string' ? { who } : {}) };
  } catch {
    return {};
  }
}

async function clientCredentialsToken(
  ctx: CommandContext,
  server: string,
  clientId: string,
): Promise<{ token: string; expiresIn?: number; tokenUrl: string }> {
  const secretFile = ctx.string('client-secret-file');
  let secret = ctx.io.env.SLUICE_CLIENT_SECRET;
  if (secretFile !== undefined) {
    secret = (await readFile(secretFile, 'utf8')).trim();
  }
  if (secret === undefined || secret === '') {
    throw new UsageError('the client secret: give --client-secret-file <file> or set SLUICE_CLIENT_SECRET (never on the command line)');
  }
  const tokenUrl = ctx.string('token-url') ?? ctx.io.env.SLUICE_TOKEN_URL ?? `${server}/dev-issuer/token`;
  let response: Response;
  try {
    response = await ctx.io.fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        scope: ctx.string('scope') ?? DEFAULT_SCOPE,
      }),
      redirect: 'error',
      signal: AbortSignal.timeout(ctx.timeoutMs() ?? 30_000),
    });
  } catch (error) {
    throw new CliError(`token endpoint ${tokenUrl}: ${(error as Error).message}`);
  }
  const answer = (await response.json().catch(() => ({}))) as TokenAnswer;
  if (!response.ok || typeof answer.access_token !== 'string') {
    const reason = [answer.error, answer.error_description].filter((x) => typeof x === 'string').join(': ');
    throw new CliError(`token endpoint ${tokenUrl}: HTTP ${response.status}${reason ? `: ${oneLine(reason)}` : ''}`);
  }
  return { token: answer.access_token, ...(typeof answer.expires_in === 'number' ? { expiresIn: answer.expires_in } : {}), tokenUrl };
}

export const loginCommands: CommandSpec[] = [
  {
    name: 'login',
    summary: 'Sign in: client credentials against a token endpoint, or a pasted token',
    options: {
      token: { type: 'string', value: 'TOKEN|-', help: 'An access token; "-" reads it from standard input' },
      'client-id': { type: 'string', value: 'ID', help: 'Client id for the client-credentials grant' },
      'client-secret-file': { type: 'string', value: 'FILE', help: 'File holding the client secret (or set SLUICE_CLIENT_SECRET)' },
      'token-url': {
        type: 'string',
        value: 'URL',
        help: 'OAuth token endpoint (default: $SLUICE_TOKEN_URL, else the development issuer of --server)',
      },
      scope: { type: 'string', value: 'SCOPE', help: `Scope to request (default ${DEFAULT_SCOPE})` },
    },
    async run(ctx) {
      const server = await ctx.server();
      const clientId = ctx.string('client-id');
      const pasted = ctx.string('token');
      if ((clientId === undefined) === (pasted === undefined)) throw new UsageError('give either --token or --client-id');
      let credential: StoredCredential;
      const now = ctx.io.now();
      if (pasted !== undefined) {
        const token = (pasted === '-' ? await ctx.io.readStdin() : pasted).trim();
        if (token === '') throw new UsageError('the token is empty');
        const { exp } = peekClaims(token);
        credential = {
          token,
          expiresAt: exp === undefined ? null : new Date(exp * 1000).toISOString(),
          obtainedAt: now.toISOString(),
          method: 'token',
        };
      } else {
        const got = await clientCredentialsToken(ctx, server, clientId ?? '');
        const { exp } = peekClaims(got.token);
        const expiresAt =
          exp !== undefined ? new Date(exp * 1000) : got.expiresIn !== undefined ? new Date(now.getTime() + got.expiresIn * 1000) : null;
        credential = {
          token: got.token,
          expiresAt: expiresAt?.toISOString() ?? null,
          obtainedAt: now.toISOString(),
          method: 'client_credentials',
          clientId: clientId ?? '',
          tokenUrl: got.tokenUrl,
        };
      }
      // Check the token before keeping it: 401 means it is not accepted; 403 only that it lacks a role.
      const probe = new ApiClient(server, credential.token, ctx.io.fetch, ctx.timeoutMs());
      try {
        await probe.request('GET', '/api/v1/sessions', { query: { limit: 1 } });
      } catch (error) {
        // Only a refusal of the token itself (401, a plain CliError) or no answer at all stops the login.
        if (!(error instanceof ApiError)) throw error;
      }
      await ctx.store.put(server, credential);
      const who = peekClaims(credential.token).who;
      ctx.print({ server, expiresAt: credential.expiresAt, method: credential.method, credentials: ctx.store.path }, () =>
        [
          `logged in to ${server}${who ? ` as ${oneLine(who)}` : ''}`,
          credential.expiresAt ? `token expires at ${credential.expiresAt}` : 'token expiry unknown',
          `stored in ${ctx.store.path} (readable by you only)`,
          '',
        ].join('\n'),
      );
      return EXIT.ok;
    },
  },
  {
    name: 'logout',
    summary: 'Forget the stored token for the server',
    async run(ctx) {
      const server = await ctx.server();
      const removed = await ctx.store.remove(server);
      ctx.print({ server, removed }, () => (removed ? `logged out of ${server}\n` : `no token was stored for ${server}\n`));
      return EXIT.ok;
    },
  },
];
