import { ApiProperty } from '@nestjs/swagger';
import type { SessionView } from './sessions.service.js';

export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'entra:7f1c…:3b2a…' }) principalId!: string;
  @ApiProperty({ example: 'demo-postgres' }) connection!: string;
  @ApiProperty() agentId!: string;
  @ApiProperty({ example: '127.0.0.1:51234' }) clientAddress!: string;
  @ApiProperty({ type: String, nullable: true }) clientApplication!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) openedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'client_closed' }) closeReason!: string | null;

  static from(view: SessionView): SessionDto {
    return {
      ...view,
      openedAt: view.openedAt.toISOString(),
      closedAt: view.closedAt?.toISOString() ?? null,
    };
  }
}

export class SessionEventDto {
  @ApiProperty({ description: 'Per-session sequence number, from 1, without gaps' }) seq!: number;
  @ApiProperty({ example: 'command.decided' }) kind!: string;
  @ApiProperty({ type: String, format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload!: Record<string, unknown>;
}
