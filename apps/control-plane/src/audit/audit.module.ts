import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module.js';
import { AuditExportController } from './audit-export.controller.js';
import { AuditExportService } from './audit-export.service.js';

/** Audit export for SIEMs (docs/audit.md). Reads recordings only through SessionsService. */
@Module({
  imports: [SessionsModule],
  controllers: [AuditExportController],
  providers: [AuditExportService],
})
export class AuditModule {}
