/**
 * Every page of the portal, per organisation type. The URL is `/<type>/<path>` (for example
 * `/merchant/wallet`); a page with a `navKey` gets a link in the header's navigation.
 *
 * To add a page: write `pages/<type>/<Name>Page.tsx` (start from pages/merchant/WalletPage.tsx:
 * PageHeader, useApiData, Loading/ErrorAlert/EmptyState, labelled fields), add its strings to
 * i18n/zh.ts and i18n/en.ts, and replace its placeholder element below (or add a row).
 *
 * Routing is react-router's declarative mode (<BrowserRouter>/<Routes>): real paths (no hash)
 * that the gateway answers with index.html, nested layouts and guards, `useSearchParams` for
 * filters kept in the URL — a well-kept library rather than a home-made router.
 */
import type { ReactNode } from 'react';
import type { OrganisationType } from './api/types';
import type { MessageKey } from './i18n/messages';
import { CatalogPage } from './pages/merchant/CatalogPage';
import { DisputesPage } from './pages/merchant/DisputesPage';
import { IntegrationsPage } from './pages/merchant/IntegrationsPage';
import { OrderDetailPage } from './pages/merchant/OrderDetailPage';
import { OrdersPage } from './pages/merchant/OrdersPage';
import { ProductPage } from './pages/merchant/ProductPage';
import { PurchasedStockPage } from './pages/merchant/StockPage';
import { WalletPage } from './pages/merchant/WalletPage';
import { ApprovalsPage } from './pages/operator/ApprovalsPage';
import { CommissionPage } from './pages/operator/CommissionPage';
import { OperatorDisputesPage } from './pages/operator/DisputesPage';
import { HealthPage } from './pages/operator/HealthPage';
import { AuthorisationsPage } from './pages/supplier/AuthorisationsPage';
import { BatchesPage } from './pages/supplier/BatchesPage';
import { SupplierDisputesPage } from './pages/supplier/DisputesPage';
import { OffersPage } from './pages/supplier/OffersPage';
import { SalesPage } from './pages/supplier/SalesPage';
import { StockPage } from './pages/supplier/StockPage';

export interface PageRoute {
  /** Relative to `/<type>/`. */
  path: string;
  /** The header link's label (pages reached from another page, such as a detail, have none). */
  navKey?: MessageKey;
  element: ReactNode;
}

export const PAGES: Record<OrganisationType, PageRoute[]> = {
  merchant: [
    { path: 'catalog', navKey: 'nav.merchant.catalog', element: <CatalogPage /> },
    { path: 'catalog/:productId', element: <ProductPage /> },
    { path: 'orders', navKey: 'nav.merchant.orders', element: <OrdersPage /> },
    { path: 'orders/:orderId', element: <OrderDetailPage /> },
    { path: 'wallet', navKey: 'nav.merchant.wallet', element: <WalletPage /> },
    { path: 'stock', navKey: 'nav.merchant.stock', element: <PurchasedStockPage /> },
    { path: 'integrations', navKey: 'nav.merchant.integrations', element: <IntegrationsPage /> },
    { path: 'disputes', navKey: 'nav.merchant.disputes', element: <DisputesPage /> },
  ],
  supplier: [
    { path: 'offers', navKey: 'nav.supplier.offers', element: <OffersPage /> },
    { path: 'batches', navKey: 'nav.supplier.batches', element: <BatchesPage /> },
    { path: 'stock', navKey: 'nav.supplier.stock', element: <StockPage /> },
    { path: 'sales', navKey: 'nav.supplier.sales', element: <SalesPage /> },
    { path: 'disputes', navKey: 'nav.supplier.disputes', element: <SupplierDisputesPage /> },
    { path: 'authorisations', navKey: 'nav.supplier.authorisations', element: <AuthorisationsPage /> },
  ],
  operator: [
    { path: 'approvals', navKey: 'nav.operator.approvals', element: <ApprovalsPage /> },
    { path: 'disputes', navKey: 'nav.operator.disputes', element: <OperatorDisputesPage /> },
    { path: 'commission', navKey: 'nav.operator.commission', element: <CommissionPage /> },
    { path: 'health', navKey: 'nav.operator.health', element: <HealthPage /> },
  ],
};

export const ORGANISATION_TYPES: readonly OrganisationType[] = ['merchant', 'supplier', 'operator'];

/** Where a user of this organisation type lands after logging in. */
export function homePath(type: OrganisationType): string {
  return `/${type}/${PAGES[type][0]!.path}`;
}
