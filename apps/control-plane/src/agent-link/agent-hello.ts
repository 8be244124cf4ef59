import type { AgentHello__Output } from '@sluice/contract';
import { z } from 'zod';
import type { AgentAnnouncement } from '../agents/agents.service.js';
import { PROTOCOLS } from '../connections/connections.service.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const TAG_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const MAX_CONNECTIONS = 256;
const MAX_TAGS = 32;

const helloSchema = z.object({
  agentId: z.string().regex(NAME, 'agent_id must match [a-z0-9][a-z0-9._-]{0,62}'),
  version: z.string().min(1).max(64),
  segment: z.string().regex(NAME, 'segment must match [a-z0-9][a-z0-9._-]{0,62}'),
  connections: z
    .array(
      z.object({
        name: z.string().regex(NAME, 'connection name must match [a-z0-9][a-z0-9._-]{0,62}'),
        protocol: z.enum(PROTOCOLS),
        listenAddress: z.string().min(1).max(255),
        tags: z
          .record(z.string().regex(TAG_KEY, 'tag keys must match [A-Za-z0-9][A-Za-z0-9._/-]{0,62}'), z.string().max(255))
          .refine((tags) => Object.keys(tags).length <= MAX_TAGS, `at most ${MAX_TAGS} tags`),
      }),
    )
    .max(MAX_CONNECTIONS)
    .refine((list) => new Set(list.map((c) => c.name)).size === list.length, 'connection names must be unique'),
});

/** Maps a hello off the wire to the registry's terms, or says precisely what is wrong with it. */
export function parseHello(hello: AgentHello__Output): { ok: true; value: AgentAnnouncement } | { ok: false; problem: string } {
  const result = helloSchema.safeParse(hello);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, problem: `invalid hello: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim() };
  }
  return { ok: true, value: result.data };
}
