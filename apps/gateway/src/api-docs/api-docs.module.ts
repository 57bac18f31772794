import { Module } from '@nestjs/common';
import { ApiDocsService } from './api-docs.service';

/** The public API document (the gateway's and the services' routes); served by setupApiDocs. */
@Module({ providers: [ApiDocsService], exports: [ApiDocsService] })
export class ApiDocsModule {}
