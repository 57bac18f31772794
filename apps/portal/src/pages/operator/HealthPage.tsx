import { useCallback, useEffect } from 'react';
import { api } from '../../api';
import { StatusBadge, useLabel } from '../../components/supplier/common';
import type { HealthCheck, SystemHealth } from '../../components/supplier/types';
import { ErrorAlert, Loading, PageHeader } from '../../components/ui';
import { useI18n } from '../../i18n/i18n';
import { useApiData } from '../../lib/useApiData';

const REFRESH_MS = 15_000;

/**
 * System health: the gateway's operator report (GET /api/v1/system/health) — its own PostgreSQL,
 * Redis and Kafka, and every service's readiness (/health/ready, with its dependencies), each
 * with its error — refreshed every 15 s. (The public GET /health says only up or down.)
 */
export function HealthPage() {
  const { t, dateTime } = useI18n();
  const label = useLabel();
  const load = useCallback(
    (signal: AbortSignal) => api.get<SystemHealth>('/api/v1/system/health', { signal }).then((report) => ({ report, at: new Date() })),
    [],
  );
  const health = useApiData(load);
  const { reload } = health;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);

  const rows = (checks: Record<string, HealthCheck>, group: string) =>
    Object.entries(checks).map(([name, check]) => (
      <tr key={`${group}-${name}`}>
        <th scope="row">{label('component', name)}</th>
        <td>
          <StatusBadge value={check.status} />
        </td>
        <td className="num">{check.responseTimeMs} ms</td>
        <td className="muted">{check.error ?? ''}</td>
      </tr>
    ));

  return (
    <>
      <PageHeader title={t('nav.operator.health')}>
        <button type="button" className="button button--secondary" onClick={reload}>
          {t('common.refresh')}
        </button>
      </PageHeader>
      <section className="card" aria-labelledby="health-title" aria-busy={health.loading && !health.data}>
        <h2 id="health-title" className="card__title">
          {t('so.health.overall')} {health.data ? <StatusBadge value={health.data.report.status} testId="health-status" /> : null}
        </h2>
        {health.data ? <p className="section-note">{t('so.health.checkedAt', { time: dateTime(health.data.at) })}</p> : null}
        {health.error ? <ErrorAlert error={health.error} onRetry={reload} /> : null}
        {!health.data && health.loading ? <Loading /> : null}
        {health.data ? (
          <div className="table-scroll">
            <table className="table" data-testid="health">
              <thead>
                <tr>
                  <th scope="col">{t('so.health.col.component')}</th>
                  <th scope="col">{t('so.col.status')}</th>
                  <th scope="col" className="num">{t('so.health.col.time')}</th>
                  <th scope="col">{t('so.health.col.error')}</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="colgroup" colSpan={4}>
                    {t('so.health.gateway')}
                  </th>
                </tr>
                {rows(health.data.report.gateway, 'gateway')}
                <tr>
                  <th scope="colgroup" colSpan={4}>
                    {t('so.health.services')}
                  </th>
                </tr>
                {rows(health.data.report.services, 'services')}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
