import { ApiProperty } from '@nestjs/swagger';
import { PROTOCOLS, type ConnectionView, type Protocol } from './connections.service.js';

export class ConnectionDto {
  @ApiProperty({ example: 'demo-postgres' }) name!: string;
  @ApiProperty({ enum: PROTOCOLS }) protocol!: Protocol;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { env: 'demo' } }) tags!: Record<string, string>;
  @ApiProperty({ example: 'quickstart-agent', description: 'The agent serving this connection' }) agentId!: string;
  @ApiProperty({ example: '127.0.0.1:6432', description: 'Where clients reach the agent for this connection' }) listenAddress!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: string;

  static from(view: ConnectionView): ConnectionDto {
    return {
      name: view.name,
      protocol: view.protocol,
      tags: { ...view.tags },
      agentId: view.agentId,
      listenAddress: view.listenAddress,
      updatedAt: view.updatedAt.toISOString(),
    };
  }
}
