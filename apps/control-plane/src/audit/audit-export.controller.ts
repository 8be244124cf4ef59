import { Readable } from 'node:stream';
import { Controller, Get, Header, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RequireRoles } from '../identity/auth.decorators.js';
import { exportQuerySchema, type ExportQuery } from './audit.dto.js';
import { AuditExportService } from './audit-export.service.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditExportController {
  constructor(private readonly exports: AuditExportService) {}

  @Get('export')
  @RequireRoles('auditor', 'admin')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('application/x-ndjson')
  @ApiQuery({ name: 'from', required: false, description: 'Events that occurred at or after (ISO 8601; default: all)' })
  @ApiQuery({ name: 'to', required: false, description: 'Events that occurred before (ISO 8601; default: now)' })
  @ApiResponse({ status: 200, description: 'OCSF events as JSON lines, oldest first (docs/audit.md "Export")' })
  export(@Query({ schema: exportQuerySchema }) query: ExportQuery): StreamableFile {
    const range = { from: new Date(query.from ?? 0), to: query.to === undefined ? new Date() : new Date(query.to) };
    // Readable.from pulls from the generator only as fast as the client reads (backpressure).
    return new StreamableFile(Readable.from(this.exports.lines(range), { objectMode: false }), { type: 'application/x-ndjson' });
  }
}
