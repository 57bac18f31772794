import { useState } from 'react';
import { api, newIdempotencyKey } from '../api';
import type { Topup } from '../api/types';
import { parseMoney } from '../i18n/format';
import { useI18n } from '../i18n/i18n';

const CURRENCY = 'CNY';

/**
 * The amount field of a sandbox top-up (merchant wallet, supplier deposit) and the creation of the
 * top-up intent. The Idempotency-Key names this one intent: a retry (network error, double click)
 * re-sends the same key and gets the same top-up; a new key only after success.
 */
export function useTopUpForm() {
  const { t } = useI18n();
  const [amount, setAmount] = useState('');
  const [amountError, setAmountError] = useState<string[] | undefined>();
  const [idempotencyKey, setIdempotencyKey] = useState(newIdempotencyKey);

  /** The typed yuan amount in fen, or null (and the field's error) when it is not above zero. */
  function checkedAmount(): number | null {
    const fen = parseMoney(amount);
    if (fen === null || fen <= 0) {
      setAmountError([t('wallet.topup.amountInvalid')]);
      return null;
    }
    setAmountError(undefined);
    return fen;
  }

  async function createTopup(fen: number, channel: Topup['channel']): Promise<Topup> {
    const topup = await api.post<Topup>('/api/v1/settlement/topups', { amount: fen, currency: CURRENCY, channel }, { idempotencyKey });
    setIdempotencyKey(newIdempotencyKey());
    return topup;
  }

  return { amount, setAmount, amountError, checkedAmount, createTopup };
}
