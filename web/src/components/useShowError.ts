// Shows an API error where it belongs: beside the form field named by extensions.field, or as
// a message (an INTERNAL one with its request id).
import { App, type FormInstance } from 'antd';
import type { CombinedError } from 'urql';
import { mapErrors } from '../errors';

export function useShowError() {
  const { message } = App.useApp();
  return (error: CombinedError | undefined | null, form?: FormInstance) => {
    if (!error) return;
    const names = form ? Object.keys(form.getFieldsValue(true) ?? {}) : [];
    const { fields, general } = mapErrors(error, form ? names : []);
    if (form && fields.length) {
      form.setFields(fields.map((f) => ({ name: f.field!, errors: [f.message] })));
      form.scrollToField(fields[0].field!);
    }
    for (const g of general) message.error({ content: g.message, duration: g.code === 'INTERNAL' ? 0 : 6 });
  };
}
