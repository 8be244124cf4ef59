// Issue 3 acceptance at the system level: REST authentication and roles, principals, sessions
// opened over the agent link with the client's token, and revocation reaching agents within a second
// — also when the revoking control plane is not the one the agent is connected to.
import { execFileSync } from 'node:child_process';
import { createTestDatabase, waitFor, type TestDatabase } from '@sluice/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAgent } from './support/fake-agent.js';
import { CONTROL_PLANE_CLI, devToken, getJson, startControlPlane, type RunningControlPlane } from './support/system.js';

interface PrincipalJson {
  id: string;
  kind: string;
  displayName: string;
  groups: string[];
  roles: string[];
  revokedAt: string | null;
  revokeReason: string | null;
}

describe('identity', () => {
  let db: TestDatabase;
  let cpA: RunningControlPlane;
  let cpB: RunningControlPlane;
  const agentKey = execFileSync(process.execPath, [CONTROL_PLANE_CLI, 'agent-key', 'generate'], { encoding: 'utf8' }).trim();
  let adminToken = '';
  let agentToken = '';
  let approverToken = '';
  const fakes: FakeAgent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    cpA = await startControlPlane({ SLUICE_DATABASE_URL: db.url, SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey });
    // A second replica on the same database, sharing the development issuer (same port and key).
    cpB = await startControlPlane({
      SLUICE_DATABASE_URL: db.url,
      SLUICE_BOOTSTRAP_AGENT_KEYS: agentKey,
      SLUICE_STATE_DIR: cpA.env.SLUICE_STATE_DIR!,
      SLUICE_PUBLIC_URL: cpA.httpUrl,
    });
    adminToken = await devToken(cpA, 'demo-admin');
    agentToken = await devToken(cpA, 'demo-agent');
    approverToken = await devToken(cpA, 'demo-approver');
  });

  afterAll(async () => {
    for (const fake of fakes) fake.close();
    await cpA.process.stop();
    await cpB.process.stop();
    await db.drop();
  });

  describe('the REST API', () => {
    it('refuses a request without a token with 401 and a Bearer challenge', async () => {
      const response = await fetch(`${cpA.httpUrl}/api/v1/agents`);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="sluice"');
    });

    it('refuses an invalid token with 401 naming the reason, without echoing the token', async () => {
      const forged = `${agentToken.slice(0, -10)}AAAAAAAAAA`;
      const response = await fetch(`${cpA.httpUrl}/api/v1/agents`, { headers: { authorization: `Bearer ${forged}` } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="sluice", error="invalid_token", error_description="/);
      const body = (await response.json()) as { code: string };
      expect(body.code).toBe('signature-invalid');
      expect(JSON.stringify(body)).not.toContain(forged);
      const garbage = await fetch(`${cpA.httpUrl}/api/v1/agents`, { headers: { authorization: 'Bearer not.a.jwt' } });
      expect(garbage.status).toBe(401);
    });

    it('refuses a caller without the role with 403 naming it', async () => {
      const response = await fetch(`${cpA.httpUrl}/api/v1/agents`, { headers: { authorization: `Bearer ${agentToken}` } });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { message: string }).message).toBe('requires the admin or auditor role');
      const approver = await fetch(`${cpA.httpUrl}/api/v1/principals/x/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${approverToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'nope' }),
      });
      expect(approver.status).toBe(403);
    });

    it('serves health and docs without a token', async () => {
      expect((await fetch(`${cpA.httpUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${cpA.httpUrl}/readyz`)).status).toBe(200);
      expect((await fetch(`${cpA.httpUrl}/api/docs/openapi.json`)).status).toBe(200);
    });

    it('lists principals seen, keyed by tenant and object id, with kind, groups and roles', async () => {
      const principals = await getJson<PrincipalJson[]>(`${cpA.httpUrl}/api/v1/principals`, adminToken);
      const admin = principals.find((p) => p.displayName === 'Demo security admin');
      expect(admin).toMatchObject({ kind: 'user', roles: ['Sluice.Admin', 'Sluice.Auditor'], revokedAt: null });
      expect(admin?.id).toMatch(/^entra:00000000-5e1c-4000-8000-000000000001:[0-9a-f-]{36}$/);
    });

    it('validates the revoke body', async () => {
      const response = await fetch(`${cpA.httpUrl}/api/v1/principals/whoever/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: '', extra: 1 }),
      });
      expect(response.status).toBe(400);
    });
  });

  describe('sessions over the agent link', () => {
    it('opens a session for a valid token and maps the principal', async () => {
      const fake = new FakeAgent(cpA.grpcPort, agentKey, 'fake-agent-1', ['orders-db']);
      fakes.push(fake);
      await fake.ready();
      const response = await fake.openSessionResponse('orders-db', agentToken);
      expect(response.result).toBe('sessionOpened');
      expect(response.sessionOpened?.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.sessionOpened?.principal).toMatchObject({ kind: 'workload', groups: ['ai-agents'], displayName: 'Demo AI agent' });
      expect(response.sessionOpened!.tokenExpiresAtUnixMs).toBeGreaterThan(Date.now());
    });

    it('refuses an invalid token, and a connection the agent does not serve', async () => {
      const fake = new FakeAgent(cpA.grpcPort, agentKey, 'fake-agent-2', ['billing-db']);
      fakes.push(fake);
      await fake.ready();
      const invalid = await fake.openSessionResponse('billing-db', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
      expect(invalid.sessionRefused).toMatchObject({ code: 'invalid_token' });
      const elsewhere = await fake.openSessionResponse('orders-db', agentToken);
      expect(elsewhere.sessionRefused).toMatchObject({ code: 'unknown_connection' });
    });

    it('revocation on another replica ends the principal’s sessions within a second and refuses new ones', async () => {
      const fake = new FakeAgent(cpA.grpcPort, agentKey, 'fake-agent-3', ['crm-db']);
      fakes.push(fake);
      await fake.ready();
      const opened = await fake.openSessionResponse('crm-db', agentToken);
      const principalId = opened.sessionOpened!.principal!.id;

      const requestedAt = Date.now();
      const revoke = await fetch(`${cpB.httpUrl}/api/v1/principals/${encodeURIComponent(principalId)}/revoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'token leaked in a CI log' }),
      });
      expect(revoke.status).toBe(200);
      // The revocation is in force once the API answered; from then on agents must hear of it within a second.
      const revokedAt = Date.now();
      const push = await waitFor(
        () => fake.received.find((m) => m.push?.revokePrincipal?.principalId === principalId),
        1_000,
        'the revoke push',
      );
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
      expect(Date.now() - requestedAt).toBeLessThan(5_000);
      expect(push.push?.revokePrincipal?.reason).toBe('token leaked in a CI log');

      expect((await fake.openSessionResponse('crm-db', agentToken)).sessionRefused).toMatchObject({ code: 'revoked' });
      const principals = await getJson<PrincipalJson[]>(`${cpA.httpUrl}/api/v1/principals`, adminToken);
      expect(principals.find((p) => p.id === principalId)).toMatchObject({ revokeReason: 'token leaked in a CI log' });

      // The revoked principal cannot use the REST API either.
      // (demo-agent has no REST role; it is refused as revoked before roles are considered)
      const rest = await fetch(`${cpA.httpUrl}/api/v1/agents`, { headers: { authorization: `Bearer ${agentToken}` } });
      expect(rest.status).toBe(401);

      const unrevoke = await fetch(`${cpA.httpUrl}/api/v1/principals/${encodeURIComponent(principalId)}/unrevoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(unrevoke.status).toBe(200);
      expect((await fake.openSessionResponse('crm-db', agentToken)).result).toBe('sessionOpened');
    });
  });
});
