import type { FormInstance } from 'antd';

/** Runs `then` with the form's values once they pass its rules. A form that does not pass shows
 * beside each field what is wrong; its refusal is handled here rather than left unhandled. */
export function whenValid<T>(form: FormInstance<T>, then: (values: T) => unknown): Promise<unknown> {
  return form.validateFields().then(then, () => undefined);
}
