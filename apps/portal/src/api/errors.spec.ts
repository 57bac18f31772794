import { translator } from '../i18n/messages';
import { ApiError } from './client';
import { errorMessage, errorReference } from './errors';

const zh = translator('zh');
const en = translator('en');

describe('errorMessage', () => {
  it('puts the codes of login, orders, top-ups, stock and uploads in words, in both languages', () => {
    const cases: [string, number, string, string][] = [
      ['invalid_credentials', 401, '邮箱或密码不正确。', 'The email or password is not correct.'],
      ['insufficient_balance', 402, '钱包余额不足，请先充值。', 'Your wallet balance is too low. Please top up first.'],
      ['insufficient_stock', 409, '库存不足，买不到这么多。请减少数量或稍后再试。', 'Not enough codes in stock for that quantity. Order fewer or try later.'],
      ['price_above_limit', 422, '当前价格高于您设定的最高单价，未下单。', 'The current price is above your maximum unit price; nothing was ordered.'],
      ['amount_over_channel_limit', 422, '金额超过该支付渠道的单笔限额，请换一个渠道或减少金额。', 'The amount is over this payment channel’s limit per payment. Choose another channel or a smaller amount.'],
      ['stock_exhausted', 409, '库存已用完，请补货。', 'Your stock of this product has run out; please restock.'],
      ['unparseable_csv', 400, '文件不是有效的 CSV，请检查格式。', 'The file is not a valid CSV; please check its format.'],
      ['unauthenticated', 401, '请先登录。', 'Please log in first.'],
    ];
    for (const [code, status, inZh, inEn] of cases) {
      const error = new ApiError({ status, code, detail: 'English detail from the server' });
      expect(errorMessage(error, zh)).toBe(inZh);
      expect(errorMessage(error, en)).toBe(inEn);
    }
  });

  it('says how long to wait when rate limited', () => {
    expect(errorMessage(new ApiError({ status: 429, code: 'rate_limited', retryAfterSeconds: 12 }), zh)).toBe('操作太频繁了，请 12 秒后再试。');
    expect(errorMessage(new ApiError({ status: 429, code: 'rate_limited' }), en)).toBe('Too many requests. Please wait a moment and try again.');
  });

  it('falls back to a generic sentence, never the server detail', () => {
    expect(errorMessage(new ApiError({ status: 409, code: 'brand_new_code', detail: 'internal words' }), en)).toBe(en('errors.generic'));
    expect(errorMessage(new ApiError({ status: 502, code: 'http_502' }), zh)).toBe(zh('errors.server'));
    expect(errorMessage(new ApiError({ status: 400, code: 'http_400' }), en)).toBe(en('errors.bad_request'));
    expect(errorMessage(new TypeError('boom'), zh)).toBe(zh('errors.generic'));
    expect(errorReference(new ApiError({ status: 500, code: 'internal_error', requestId: 'req-1' }))).toBe('req-1');
  });
});
