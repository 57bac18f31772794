import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { bodyDigest, DomainError, InternalHttpClient, SERVICE_CONFIG, SERVICE_TOKEN_HEADER, ServiceTokenSigner } from '@kami/platform';
import type { DeliveryConfig } from '../config/delivery.config';

export type RevealChannel = 'portal' | 'api' | 'stock_pull' | 'webhook';

/** One revealed code as the vault answers it. Plaintext: never log, never put in an error or event. */
export interface RevealedCode {
  codeId: string;
  offerId: string;
  orderId: string | null;
  lineId: string;
  code: string;
  pin?: string;
  serial?: string;
  redemptionUrl?: string;
  expiresAt: string | null;
}

export interface RevealRequest {
  buyerId: string;
  codeIds: string[];
  channel: RevealChannel;
  /** Who at the buyer asked (user or API key id), for the vault's audit record. */
  actor?: string;
  purpose?: string;
}

/** The most codes one vault reveal hands out (the vault's MAX_REVEAL_CODES). */
export const MAX_CODES_PER_REVEAL = 1_000;

const REVEAL_PATH = '/internal/v1/reveals';
const REVEAL_BATCH_PATH = '/internal/v1/reveal-batches';

/** A batched reveal, by code ids: each its own audited reveal at the vault. */
export type BatchedReveal = Omit<RevealRequest, 'codeIds'> & { codeIds: string[] };

/**
 * The one way delivery gets plaintext: the vault's audited reveal (POST /internal/v1/reveals, a
 * service token signed with delivery's own key for that one request). Larger requests are split
 * into reveals of at most 1,000 codes. Neither the request nor the answer is logged; a failure
 * names no code. The vault checks its own records: it reveals only codes it sold to `buyerId`.
 */
@Injectable()
export class VaultRevealClient implements OnApplicationShutdown {
  private readonly signer: ServiceTokenSigner;
  private readonly client: InternalHttpClient;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: DeliveryConfig) {
    this.signer = new ServiceTokenSigner('delivery', config.SERVICE_SIGNING_KEY);
    this.client = new InternalHttpClient({ timeoutMs: config.VAULT_TIMEOUT_MS });
  }

  onApplicationShutdown(): void {
    this.client.close();
  }

  async reveal(request: RevealRequest): Promise<RevealedCode[]> {
    const revealed: RevealedCode[] = [];
    for (let i = 0; i < request.codeIds.length; i += MAX_CODES_PER_REVEAL) {
      revealed.push(...(await this.revealChunk({ ...request, codeIds: request.codeIds.slice(i, i + MAX_CODES_PER_REVEAL) })));
    }
    return revealed;
  }

  /**
   * Many reveals in one vault request and transaction (at most MAX_CODES_PER_REVEAL codes in all),
   * each recorded as its own reveal: per reveal, its codes, or undefined where the vault refused it
   * (a code not, or no longer, sold to that buyer).
   */
  async revealBatch(reveals: BatchedReveal[]): Promise<(RevealedCode[] | undefined)[]> {
    const body = JSON.stringify({
      reveals: reveals.map((r) => ({ buyerId: r.buyerId, codeIds: r.codeIds, channel: r.channel, actor: r.actor, purpose: r.purpose })),
    });
    const answer = (await this.post(REVEAL_BATCH_PATH, body)) as { reveals: { codes?: RevealedCode[] }[] };
    return answer.reveals.map((r) => r.codes);
  }

  private async revealChunk(request: RevealRequest): Promise<RevealedCode[]> {
    const body = JSON.stringify({ buyerId: request.buyerId, codeIds: request.codeIds, channel: request.channel, actor: request.actor, purpose: request.purpose });
    return ((await this.post(REVEAL_PATH, body)) as { codes: RevealedCode[] }).codes;
  }

  private async post(path: string, body: string): Promise<unknown> {
    let answer: { status: number; text: string };
    try {
      answer = await this.client.post(new URL(`${this.config.VAULT_URL}${path}`), body, {
        [SERVICE_TOKEN_HEADER]: this.signer.sign('vault', { method: 'POST', path, bodyDigest: bodyDigest(body) }),
      });
    } catch {
      throw vaultUnavailable();
    }
    // 404: a code is not (or no longer) sold to this buyer; anything else: the vault cannot answer now.
    if (answer.status === 404) throw codesNotAvailable();
    if (answer.status !== 200) throw vaultUnavailable();
    return JSON.parse(answer.text);
  }
}

/** 409 for codes not (or no longer) sold to the buyer: the vault refused to reveal them. */
export const codesNotAvailable = (): DomainError => new DomainError('codes_not_available', 409, 'Some of these codes cannot be revealed to you.');

const vaultUnavailable = (): DomainError => new DomainError('vault_unavailable', 503, 'The code vault cannot be reached right now; try again shortly.', { retryable: true });
