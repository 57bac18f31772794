/** Shapes of the public API's answers that the portal reads (see /api/docs for the whole API). */

export type OrganisationType = 'merchant' | 'supplier' | 'operator';
export type Role = 'admin' | 'member';

export interface Session {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export interface Organisation {
  id: string;
  name: string;
  type: OrganisationType;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Category {
  code: string;
  parentCode: string | null;
  nameEn: string;
  nameZh: string;
  children: Category[];
}

export interface Brand {
  id: string;
  name: string;
}

export interface ProductSearchItem {
  id: string;
  name: string;
  brand: Brand;
  categoryCode: string;
  faceValue: number;
  currency: string;
  region: string;
  redemptionInstructions: string;
  status: string;
  offers: { activeOffers: number; lowestUnitPrice: number | null; available: number };
}

export interface WalletBalance {
  currency: string;
  balance: number;
  sequence: number;
}

export interface Wallet {
  organisationId: string;
  balances: WalletBalance[];
}

export type TopupStatus = 'pending' | 'succeeded' | 'failed' | 'expired';

export interface Topup {
  id: string;
  organisationId: string;
  amount: number;
  currency: string;
  channel: string;
  provider: string;
  status: TopupStatus;
  purpose: 'wallet' | 'deposit';
  paymentAction: { type: string; url: string };
  createdAt: string;
  expiresAt: string;
  settledAt?: string;
}
