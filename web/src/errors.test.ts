import { describe, expect, it } from 'vitest';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { errorText, fieldPath, isUnauthenticated, mapErrors } from './errors';

const err = (message: string, extensions: Record<string, unknown>) =>
  new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions })] });

describe('error mapping', () => {
  it('turns extensions.field into a form path without the argument name input', () => {
    expect(fieldPath('input.items.3.owners.0.idNumber')).toEqual(['items', 3, 'owners', 0, 'idNumber']);
    expect(fieldPath('refundAccount')).toEqual(['refundAccount']);
    expect(fieldPath('buildingIds.2')).toEqual(['buildingIds', 2]);
  });

  it('puts an error beside a field the form has, and the rest in the message', () => {
    const e = new CombinedError({
      graphQLErrors: [
        new GraphQLError('统一社会信用代码不正确（校验位不符）', { extensions: { code: 'VALIDATION_FAILED', field: 'input.creditCode' } }),
        new GraphQLError('请上传营业执照', { extensions: { code: 'VALIDATION_FAILED', field: 'input.attachments' } }),
      ],
    });
    const { fields, general } = mapErrors(e, ['creditCode', 'name']);
    expect(fields).toEqual([{ code: 'VALIDATION_FAILED', message: '统一社会信用代码不正确（校验位不符）', field: ['creditCode'] }]);
    expect(general.map((g) => g.message)).toEqual(['请上传营业执照']);
  });

  it('shows an INTERNAL error in Chinese with its request id and nothing else', () => {
    const { general } = mapErrors(err('Internal server error', { code: 'INTERNAL', requestId: 'abc123' }));
    expect(general[0].message).toBe('系统出错，请稍后再试或联系管理员（请求编号 abc123）');
  });

  it('names the application that holds a locked house, and the wait of a rate limit', () => {
    expect(errorText(err('房屋已被其他业务单锁定', { code: 'HOUSE_LOCKED', applicationNumber: 'YW202601010001' }))).toBe(
      '房屋已被其他业务单锁定（业务单号 YW202601010001）',
    );
    expect(errorText(err('登录失败次数过多', { code: 'RATE_LIMITED', retryAfter: 60 }))).toBe('登录失败次数过多（请 60 秒后再试）');
  });

  it('says so in Chinese when the server cannot be reached', () => {
    const e = new CombinedError({ networkError: new Error('Failed to fetch') });
    expect(errorText(e)).toBe('无法连接服务器，请检查网络后重试');
  });

  it('knows an expired login', () => {
    expect(isUnauthenticated(err('请先登录', { code: 'UNAUTHENTICATED' }))).toBe(true);
    expect(isUnauthenticated(err('无权限', { code: 'FORBIDDEN' }))).toBe(false);
  });
});

describe('money', () => {
  it('groups thousands without touching the exact decimals', async () => {
    const { yuan } = await import('./labels');
    expect(yuan('212977.00')).toBe('¥212,977.00');
    expect(yuan('-1234567.05')).toBe('¥-1,234,567.05');
    expect(yuan('0.00')).toBe('¥0.00');
    expect(yuan(null)).toBe('—');
  });
});
