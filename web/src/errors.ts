// Maps API errors (errors.md: extensions.code, extensions.field, extensions.requestId) to what
// the screen shows: a message beside the field the error names, or one message for the page.
import type { CombinedError } from 'urql';

export interface ShownError {
  /** the error's code from errors.md, or NETWORK when the API could not be reached */
  code: string;
  message: string;
  /** the form field path, `input.` stripped: ['items', 3, 'owners', 0, 'idNumber'] */
  field?: (string | number)[];
  requestId?: string;
  applicationNumber?: string;
  noticeNumber?: string;
}

export interface MappedErrors {
  /** errors that name a field the form has */
  fields: ShownError[];
  /** everything else, to show as a message */
  general: ShownError[];
}

/** `input.items.3.owners.0.idNumber` → ['items', 3, 'owners', 0, 'idNumber']; the argument
 * name `input` is the API's, not the form's, so it goes; other argument names stay. */
export function fieldPath(field: string): (string | number)[] {
  const parts = field.split('.').filter(Boolean);
  if (parts[0] === 'input' && parts.length > 1) parts.shift();
  return parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function one(e: { message: string; extensions?: Record<string, unknown> }): ShownError {
  const ext = (e.extensions ?? {}) as Record<string, unknown>;
  const code = typeof ext.code === 'string' ? ext.code : 'INTERNAL';
  const shown: ShownError = { code, message: e.message };
  if (typeof ext.field === 'string' && ext.field) shown.field = fieldPath(ext.field);
  if (typeof ext.requestId === 'string') shown.requestId = ext.requestId;
  if (typeof ext.applicationNumber === 'string') shown.applicationNumber = ext.applicationNumber;
  if (typeof ext.noticeNumber === 'string') shown.noticeNumber = ext.noticeNumber;
  if (code === 'INTERNAL') {
    shown.message = `系统出错，请稍后再试或联系管理员（请求编号 ${shown.requestId ?? '未知'}）`;
  } else if (code === 'HOUSE_LOCKED' && shown.applicationNumber && !e.message.includes(shown.applicationNumber)) {
    shown.message = `${e.message}（业务单号 ${shown.applicationNumber}）`;
  } else if (code === 'RATE_LIMITED' && typeof ext.retryAfter === 'number' && !/\d/.test(e.message)) {
    shown.message = `${e.message}（请 ${ext.retryAfter} 秒后再试）`;
  }
  return shown;
}

/**
 * Splits an error into the ones a form can put beside a field (those whose path starts with a
 * name in `formFields`) and the rest. Without `formFields` every error with a field counts.
 */
export function mapErrors(error: CombinedError | undefined | null, formFields?: string[]): MappedErrors {
  const out: MappedErrors = { fields: [], general: [] };
  if (!error) return out;
  if (error.networkError && !error.graphQLErrors.length) {
    out.general.push({ code: 'NETWORK', message: '无法连接服务器，请检查网络后重试' });
    return out;
  }
  for (const e of error.graphQLErrors) {
    const shown = one(e as { message: string; extensions?: Record<string, unknown> });
    const head = shown.field?.[0];
    if (shown.field && (formFields === undefined || (typeof head === 'string' && formFields.includes(head)))) {
      out.fields.push(shown);
    } else {
      out.general.push(shown);
    }
  }
  return out;
}

/** The text of a whole error, for a message or an Alert. */
export function errorText(error: CombinedError | undefined | null): string {
  const { fields, general } = mapErrors(error, []);
  return [...general, ...fields].map((e) => e.message).join('；');
}

export function isUnauthenticated(error: CombinedError | undefined | null): boolean {
  return !!error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
}
