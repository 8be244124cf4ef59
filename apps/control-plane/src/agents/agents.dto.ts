import { ApiProperty } from '@nestjs/swagger';
import type { AgentView } from './agents.service.js';

export class AgentDto {
  @ApiProperty({ example: 'segment-a-1' }) id!: string;
  @ApiProperty({ example: 'demo' }) segment!: string;
  @ApiProperty({ example: '0.1.0' }) version!: string;
  @ApiProperty({ enum: ['online', 'offline'] }) status!: 'online' | 'offline';
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Start of the current link; null while offline' })
  connectedSince!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastHeartbeatAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) firstSeenAt!: string;
  @ApiProperty({ type: [String], description: 'Names of the connections the agent serves' }) connections!: string[];

  static from(view: AgentView): AgentDto {
    return {
      id: view.id,
      segment: view.segment,
      version: view.version,
      status: view.status,
      connectedSince: view.connectedSince?.toISOString() ?? null,
      lastHeartbeatAt: view.lastHeartbeatAt?.toISOString() ?? null,
      firstSeenAt: view.firstSeenAt.toISOString(),
      connections: [...view.connections],
    };
  }
}
