import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Access, CurrentIdentity, Idempotent, Public, type Identity } from '@kami/platform';
import { ApiKeysService } from './api-keys/api-keys.service';
import {
  ApiKeyDto,
  CreateApiKeyDto,
  OrganisationPageDto,
  OrganisationsQuery,
  CreatedApiKeyDto,
  IdentityDto,
  LoginDto,
  OrganisationDto,
  RegisterOrganisationDto,
  SessionDto,
  SupplierProfileDto,
} from './dto/identity.dto';
import { OrganisationsService } from './organisations/organisations.service';
import { SessionsService } from './sessions/sessions.service';

@ApiTags('identity')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('api/v1/identity')
export class IdentityController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
    private readonly organisations: OrganisationsService,
  ) {}

  @Public()
  @Post('sessions')
  @HttpCode(201)
  @ApiOperation({ summary: 'Log in with email and password; returns a short-lived session token' })
  @ApiCreatedResponse({ type: SessionDto })
  login(@Body() body: LoginDto): Promise<SessionDto> {
    return this.sessions.login(body.email, body.password);
  }

  @Access({ apiKeys: false })
  @Post('sessions/refresh')
  @HttpCode(201)
  @ApiOperation({
    summary:
      'Trade a valid portal session token for a fresh one (the portal does this while the user is active); 401 session_expired once the session is older than SESSION_MAX_AGE_SECONDS or the user is gone',
  })
  @ApiCreatedResponse({ type: SessionDto })
  refresh(@Headers('authorization') authorization: string): Promise<SessionDto> {
    // The guard has verified a user session (API keys are refused): the header holds its bearer token.
    return this.sessions.refresh(authorization.replace(/^Bearer\s+/i, ''));
  }

  @Access({ apiKeys: false })
  @Post('sessions/logout')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'End the session of a portal session token: it, and every token the same login was renewed into or from, is 401 session_expired from now on (the portal calls this when the user logs out)',
  })
  @ApiNoContentResponse({ description: 'The session is ended.' })
  async logout(@Headers('authorization') authorization: string): Promise<void> {
    // As for refresh: the guard has verified a user session, whose bearer token the header holds.
    await this.sessions.logout(authorization.replace(/^Bearer\s+/i, ''));
  }

  @Get('me')
  @ApiOperation({ summary: 'Who the caller is' })
  @ApiOkResponse({ type: IdentityDto })
  me(@CurrentIdentity() identity: Identity): Identity {
    return identity;
  }

  @Get('organisation')
  @ApiOperation({ summary: 'The caller’s organisation' })
  @ApiOkResponse({ type: OrganisationDto })
  organisation(@CurrentIdentity() identity: Identity): Promise<OrganisationDto> {
    return this.organisations.get(identity.organisationId);
  }

  @Access({ organisationTypes: ['operator'], apiKeys: false })
  @Get('organisations')
  @ApiOperation({ summary: 'Operators list organisations by name: filter by type, part of the name, or ids (to name the ids other pages show)' })
  @ApiOkResponse({ type: OrganisationPageDto })
  listOrganisations(@Query() query: OrganisationsQuery): Promise<OrganisationPageDto> {
    return this.organisations.list(query);
  }

  @Access({ organisationTypes: ['operator'], roles: ['admin'], apiKeys: false })
  @Post('organisations')
  @Idempotent()
  @ApiOperation({ summary: 'Operators register a supplier, merchant or operator organisation with its first admin' })
  @ApiCreatedResponse({ type: OrganisationDto })
  register(@Body() body: RegisterOrganisationDto, @Req() request: Request & { id?: string }): Promise<OrganisationDto> {
    return this.organisations.register(body, request.id);
  }

  @Access({ organisationTypes: ['supplier'], roles: ['admin'], apiKeys: false })
  @Put('supplier-profile')
  @ApiOperation({ summary: 'Suppliers keep their legal details (reviewed by operators before approval)' })
  @ApiOkResponse({ type: OrganisationDto })
  supplierProfile(@CurrentIdentity() identity: Identity, @Body() body: SupplierProfileDto): Promise<OrganisationDto> {
    return this.organisations.updateSupplierProfile(identity.organisationId, body);
  }

  @Access({ roles: ['admin'], apiKeys: false })
  @Post('api-keys')
  // Deliberately not @Idempotent: a replay would need the whole key stored in plain text, where the
  // api_key table keeps only a hash. A lost response costs a key the owner can list and revoke.
  @ApiOperation({ summary: 'Create an API key; the whole key is in this response only' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  createApiKey(@CurrentIdentity() identity: Identity, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.apiKeys.create(identity, body.name, body.scopes);
  }

  @Access({ apiKeys: false })
  @Get('api-keys')
  @ApiOperation({ summary: 'The organisation’s API keys (prefixes only)' })
  @ApiOkResponse({ type: ApiKeyDto, isArray: true })
  async listApiKeys(@CurrentIdentity() identity: Identity): Promise<{ items: ApiKeyDto[] }> {
    return { items: await this.apiKeys.list(identity.organisationId) };
  }

  @Access({ roles: ['admin'], apiKeys: false })
  @Delete('api-keys/:id')
  @ApiOperation({ summary: 'Revoke an API key at once' })
  @ApiOkResponse({ type: ApiKeyDto })
  revokeApiKey(@CurrentIdentity() identity: Identity, @Param('id', new ParseUUIDPipe()) id: string): Promise<ApiKeyDto> {
    return this.apiKeys.revoke(identity.organisationId, id);
  }
}
